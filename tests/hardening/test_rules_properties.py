"""Property-based: the whole Veo 3.1 parameter space against the operator and the emulator.

Hypothesis draws parameter sets (valid values, values of the wrong type, out of range, and every
combination of them) for each model of the family and for junk model ids. Every set either

* is refused when the operator is constructed, with an :class:`InvalidParameterError` that names the
  task and one of the parameters that was passed, and **no request** reaches the API; or
* is accepted, and then the emulator (over HTTP, in a dry run) accepts the exact body the operator
  would send: the same rules on both sides, never a paid request refused for a rule we skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_veo.exceptions import InvalidParameterError
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.veo31_family import FAST_MODEL_ID, LITE_MODEL_ID, MODEL_ID
from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.operators.veo31_parameters import VEO31_PARAMETERS
from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator, run_emulator

TASK_ID = "property_task"
PARAMETER_NAMES = (*VEO31_PARAMETERS, "model_id")
GENERATE_MODELS = (MODEL_ID, FAST_MODEL_ID, LITE_MODEL_ID)
OUTCOMES: Counter[str] = Counter()

junk = st.one_of(st.integers(-3, 3), st.booleans(), st.just({"a": 1}), st.just(b"bytes"), st.just([1]))


@pytest.fixture(scope="module")
def emulator() -> Iterator[ScenarioEmulator]:
    with run_emulator(EmulatorConfig(job_duration=0.1)) as emu:
        yield emu


def parameters(asset_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    asset = st.sampled_from(asset_ids)
    return st.fixed_dictionaries(
        {},
        optional={
            "prompt": st.one_of(st.text(max_size=40), st.integers()),
            "image": st.one_of(asset, junk, st.just("")),
            "last_frame_image": st.one_of(asset, junk),
            "reference_images": st.one_of(st.lists(asset, min_size=0, max_size=4), asset, junk),
            "reference_images_type": st.sampled_from(["ASSET", "STYLE", "style", "", 3]),
            "negative_prompt": st.one_of(st.text(max_size=20), st.integers()),
            "resolution": st.sampled_from(["720p", "1080p", "4k", 720, "720P"]),
            "generate_audio": st.sampled_from([True, False, "true", "False", "yes", 1, None]),
            "aspect_ratio": st.sampled_from(["16:9", "9:16", "1:1", 1.77]),
            "duration": st.sampled_from([4, 6, 8, "8", "4", 5, 8.0, "eight", True, -8]),
            "seed": st.one_of(st.integers(-5, 2**32 + 5), st.sampled_from(["42", "x", "4.2", 1.5])),
        },
    )


models = st.one_of(
    st.sampled_from(GENERATE_MODELS),
    st.sampled_from([None, "", 123, "model_veo3-1-extend-video", "veo3", "model veo"]),
)


@pytest.fixture(scope="module")
def asset_ids(emulator: ScenarioEmulator) -> list[str]:
    return [emulator.create_image_asset(width=1280, height=720) for _ in range(4)]


def test_every_parameter_set_is_refused_naming_a_parameter_or_accepted_by_the_emulator(
    emulator: ScenarioEmulator, asset_ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SCENARIO_DEFAULT", emulator.airflow_connection())
    hook = ScenarioHook()

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(model_id=models, params=parameters(asset_ids))
    def check(model_id: Any, params: dict[str, Any]) -> None:
        before = sum(emulator.counters()["routes"].values())
        try:
            operator = Veo31GenerateOperator(task_id=TASK_ID, model_id=model_id, deferrable=False, **params)
        except InvalidParameterError as error:
            refused = error
        else:
            refused = None
        if refused is not None:
            OUTCOMES["refused at construction"] += 1
            # The parameter at fault: one that was passed, or one a rule requires (a missing prompt).
            assert any(name in refused.parameter for name in PARAMETER_NAMES), (refused.parameter, params)
            assert f"Task '{TASK_ID}'" in str(refused)
            assert sum(emulator.counters()["routes"].values()) == before  # no request at all
            return
        OUTCOMES["accepted"] += 1
        body = operator.build_request().to_api_body()
        estimate = hook.estimate_cost(str(model_id), body)  # HTTP 269 or an error naming the rule
        assert estimate >= 0

    check()
    print(f"hypothesis examples: {dict(OUTCOMES)}")
    assert OUTCOMES["accepted"] >= 20
    assert OUTCOMES["refused at construction"] >= 100


def valid_values(asset_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Only allowed values and types: what is refused then is refused for a cross-field rule."""
    asset = st.sampled_from(asset_ids)
    return st.fixed_dictionaries(
        {},
        optional={
            "prompt": st.text(min_size=1, max_size=40),
            "image": asset,
            "last_frame_image": asset,
            "reference_images": st.lists(asset, min_size=1, max_size=3),
            "reference_images_type": st.sampled_from(["ASSET", "STYLE"]),
            "negative_prompt": st.text(max_size=20),
            "resolution": st.sampled_from(["720p", "1080p"]),
            "generate_audio": st.booleans(),
            "aspect_ratio": st.sampled_from(["16:9", "9:16"]),
            "duration": st.sampled_from([4, 6, 8]),
            "seed": st.integers(0, 2**32 - 1),
        },
    )


def test_allowed_values_are_accepted_by_the_emulator_whenever_the_operator_accepts_them(
    emulator: ScenarioEmulator, asset_ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SCENARIO_DEFAULT", emulator.airflow_connection())
    hook = ScenarioHook()
    counts: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(model_id=st.sampled_from(GENERATE_MODELS), params=valid_values(asset_ids))
    def check(model_id: str, params: dict[str, Any]) -> None:
        try:
            operator = Veo31GenerateOperator(task_id=TASK_ID, model_id=model_id, deferrable=False, **params)
        except InvalidParameterError:
            counts["refused (cross-field rule or model input)"] += 1
            return
        counts["accepted"] += 1
        assert hook.estimate_cost(model_id, operator.build_request().to_api_body()) >= 0

    check()
    print(f"hypothesis examples (allowed values): {dict(counts)}")
    assert counts["accepted"] >= 100
