"""Veo31ExtendOperator against the emulator: one paid job per step, resumed per step across tries,
the chain's budget and the source's constraints checked before paying."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_veo.exceptions import (
    CostLimitExceededError,
    ExtendChainStepError,
    InvalidParameterError,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.veo31 import Veo31Rules
from airflow_provider_veo.operators.veo31_chain import done_key, step_key
from airflow_provider_veo.operators.veo31_extend import Veo31ExtendOperator
from airflow_provider_veo.testing import EmulatorConfig
from tests.support.context import task_context
from tests.support.logs import captured_logs
from tests.support.task_state import InMemoryTaskState

PROMPTS = ["the fox runs on", "it reaches the forest", "night falls", "it sleeps"]
EXTEND_COST = 175  # the emulator's invented price of one Extend call with audio


def extend(**kwargs: Any) -> Veo31ExtendOperator:
    params: dict[str, Any] = {
        "task_id": "extend",
        "prompts": PROMPTS,
        "poll_interval": 0.05,
        "deferrable": False,
    }
    params.update(kwargs)
    return Veo31ExtendOperator(**params)


def run_try(state: InMemoryTaskState, op: Veo31ExtendOperator) -> dict[str, Any]:
    with state.accessor() as store:
        return op.execute(task_context(store))


def no_http(emulator: Any) -> bool:
    return not emulator.counters()["routes"]


def test_a_chain_extends_each_step_on_the_previous_video(scenario_emulator) -> None:
    source = scenario_emulator.create_video_asset()  # 8 s, 1280x720
    with captured_logs() as logs:
        result = run_try(InMemoryTaskState(), extend(source={"job_id": "job_x", "asset_ids": [source]}))

    steps = result["chain"]["steps"]
    assert scenario_emulator.paid_submissions == 4
    assert [step["prompt"] for step in steps] == PROMPTS
    assert [step["source_asset_id"] for step in steps] == [source] + [s["asset_id"] for s in steps[:-1]]
    for step in steps:  # each job was sent the previous video and its own prompt
        sent = scenario_emulator.job(step["job_id"])["metadata"]["input"]
        assert (sent["video"], sent["prompt"]) == (step["source_asset_id"], step["prompt"])
    assert [step["cost"] for step in steps] == [EXTEND_COST] * 4
    assert result["cost"] == 4 * EXTEND_COST
    assert result["asset_ids"] == [steps[-1]["asset_id"]]
    assert result["intermediate_asset_ids"] == [s["asset_id"] for s in steps[:-1]]
    assert result["job_id"] == steps[-1]["job_id"]
    final = ScenarioHook().get_asset(result["asset_ids"][0])
    assert final.properties.duration == 8 + 4 * 7
    assert any(m.startswith("step 3/4: ") and " %" in m for m in logs.messages())


def test_a_retry_resumes_at_the_step_where_the_chain_stopped(scenario_emulator) -> None:
    source = scenario_emulator.create_video_asset()
    state = InMemoryTaskState()
    run_try(state, extend(source=source, prompts=PROMPTS[:2]))  # steps 1-2 done by an earlier try
    scenario_emulator.fail_next_jobs(1, error="Veo refused the clip")
    with pytest.raises(ExtendChainStepError) as failed:
        run_try(state, extend(source=source))
    kept = [state.values[done_key(n)]["asset_id"] for n in (1, 2)]
    assert (failed.value.step, failed.value.steps, failed.value.kept_asset_ids) == (3, 4, kept)
    assert "step 3/4" in str(failed.value)
    assert "Veo refused the clip" in str(failed.value)

    result = run_try(state, extend(source=source))

    assert result["intermediate_asset_ids"][:2] == kept
    # steps 1 and 2 once each, step 3 twice (its failed job is refunded), step 4 once
    assert scenario_emulator.paid_submissions == 5
    assert len({step["job_id"] for step in result["chain"]["steps"]}) == 4


def test_a_step_still_rendering_is_waited_on_not_paid_again(scenario_emulator) -> None:
    source = scenario_emulator.create_video_asset()
    state = InMemoryTaskState()
    with pytest.raises(ExtendChainStepError, match="step 1/2"):
        run_try(state, extend(source=source, prompts=PROMPTS[:2], timeout=0.2))  # jobs take 1 s
    recorded = state.values[step_key(1)]
    assert recorded["job_id"]  # recorded before waiting
    assert done_key(1) not in state.values  # no video yet

    result = run_try(state, extend(source=source, prompts=PROMPTS[:2]))
    assert result["chain"]["steps"][0]["job_id"] == recorded["job_id"]
    assert scenario_emulator.paid_submissions == 2


def test_the_whole_chain_is_estimated_before_paying(scenario_emulator) -> None:
    source = scenario_emulator.create_video_asset()
    with pytest.raises(CostLimitExceededError, match="700"):
        run_try(InMemoryTaskState(), extend(source=source, max_creative_units=4 * EXTEND_COST - 1))
    assert scenario_emulator.paid_submissions == 0
    assert scenario_emulator.count("POST /generate/custom/{modelId}") == 4  # one dry run per step

    result = run_try(InMemoryTaskState(), extend(source=source, max_creative_units=4 * EXTEND_COST))
    assert result["cost"] == 4 * EXTEND_COST


@pytest.mark.parametrize(
    ("make_source", "fragment"),
    [
        (lambda emu: emu.create_image_asset(), "is not a video"),
        (lambda emu: emu.create_video_asset(size=None), "above the 20 s"),
    ],
)
def test_a_source_extend_would_refuse_costs_nothing(scenario_emulator, make_source, fragment) -> None:
    source = make_source(scenario_emulator)
    op = extend(source=source, veo31_rules=Veo31Rules(max_extend_source_seconds=20))
    with pytest.raises(InvalidParameterError, match=fragment) as raised:
        run_try(InMemoryTaskState(), op)
    assert raised.value.task_id == "extend"
    assert scenario_emulator.paid_submissions == 0


def test_only_the_extensions_reading_returns_every_part_in_order(scenario_emulator_factory) -> None:
    rules = Veo31Rules(extend_returns_whole_video=False)
    with scenario_emulator_factory(EmulatorConfig(job_duration=0.05, rules=rules)) as emu:
        source = emu.create_video_asset()
        result = run_try(InMemoryTaskState(), extend(source=source, prompts=PROMPTS[:2], veo31_rules=rules))
        parts = result["asset_ids"]
        assert parts == [source, *(s["asset_id"] for s in result["chain"]["steps"])]
        assert [ScenarioHook().get_asset(a).properties.duration for a in parts] == [8, 7, 7]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"source": 123}, "source"),
        ({"source": ""}, "source"),
        ({"source": {"asset_ids": []}}, "source"),
        ({"prompts": ["a"] * 21}, "prompts"),
        ({"prompts": "one prompt"}, "prompts"),
        ({"prompts": None, "prompt": "on", "extensions": 0}, "extensions"),
        ({"prompts": None, "prompt": "on", "extensions": "many"}, "extensions"),
        ({"prompt": "on"}, "prompts"),
        ({"seed": "abc"}, "seed"),
        ({"generate_audio": "yes"}, "generate_audio (generateAudio)"),
    ],
)
def test_invalid_parameters_fail_at_parse_time(kwargs, parameter) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        extend(**{"source": "asset_src", **kwargs})
    assert raised.value.parameter == parameter
    assert str(raised.value).startswith("Task 'extend': Invalid")


def test_templated_parameters_are_checked_after_templating_before_any_request(scenario_emulator) -> None:
    op = extend(source="{{ params.source }}", prompts="{{ params.prompts }}")
    op.render_template_fields({"params": {"source": "asset_src", "prompts": ["x"] * 21}})
    with pytest.raises(InvalidParameterError, match="Task 'extend': Invalid prompts"):
        op.execute(task_context())
    assert no_http(scenario_emulator)
