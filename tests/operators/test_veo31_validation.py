"""Every Veo 3.1 rule rejects bad input by name, at parse time and after templating, with zero HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import DAG, task

from airflow_provider_veo.exceptions import InvalidParameterError
from airflow_provider_veo.models.veo31 import Veo31Rules
from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.testing import EmulatorConfig
from tests.support.context import task_context

A, B, C, D = "asset_a", "asset_b", "asset_c", "asset_d"

# (the parameter under test, its bad value, other parameters, the parameter the error names)
INVALID = {
    "resolution": ("resolution", "4k", {}, "resolution"),
    "aspect_ratio": ("aspect_ratio", "1:1", {}, "aspect_ratio (aspectRatio)"),
    "duration_not_allowed": ("duration", 5, {}, "duration"),
    "duration_not_a_number": ("duration", "eight", {}, "duration"),
    "seed_negative": ("seed", -1, {}, "seed"),
    "seed_too_large": ("seed", 2**32, {}, "seed"),
    "seed_not_an_integer": ("seed", 1.5, {}, "seed"),
    "generate_audio_not_a_bool": ("generate_audio", "yes", {}, "generate_audio (generateAudio)"),
    "generate_audio_missing": ("generate_audio", None, {}, "generate_audio (generateAudio)"),
    "reference_images_type": (
        "reference_images_type",
        "CHARACTER",
        {},
        "reference_images_type (referenceImagesType)",
    ),
    "no_reference_images": ("reference_images", [], {}, "reference_images (referenceImages)"),
    "four_reference_images": ("reference_images", [A, B, C, D], {}, "reference_images (referenceImages)"),
    "reference_images_not_a_list": ("reference_images", A, {}, "reference_images (referenceImages)"),
    "reference_images_with_image": (
        "reference_images",
        [A],
        {"image": B},
        "reference_images (referenceImages)",
    ),
    "reference_images_need_8s": ("duration", 6, {"reference_images": [A]}, "duration"),
    "reference_images_not_portrait": (
        "aspect_ratio",
        "9:16",
        {"reference_images": [A]},
        "aspect_ratio (aspectRatio)",
    ),
    "image_empty": ("image", "", {}, "image"),
    "last_frame_image_empty": ("last_frame_image", "  ", {}, "last_frame_image (lastFrameImage)"),
    "prompt_not_a_string": ("prompt", 42, {}, "prompt"),
    "negative_prompt_not_a_string": ("negative_prompt", ["blur"], {}, "negative_prompt (negativePrompt)"),
}


def no_http(emulator: Any) -> bool:
    counters = emulator.counters()
    return not counters["routes"] and not counters["methods"] and counters["tcp_connections"] == 0


@pytest.mark.parametrize(("field", "value", "others", "parameter"), INVALID.values(), ids=INVALID.keys())
def test_static_values_fail_at_parse_time(field, value, others, parameter) -> None:
    params = {"prompt": "a fox", **others, field: value}
    with pytest.raises(InvalidParameterError) as raised:
        Veo31GenerateOperator(task_id="generate", **params)

    assert raised.value.parameter == parameter
    assert f"Invalid {parameter}=" in str(raised.value)
    assert raised.value.allowed in str(raised.value)


@pytest.mark.parametrize(("field", "value", "others", "parameter"), INVALID.values(), ids=INVALID.keys())
def test_static_values_set_after_parsing_fail_in_execute_before_any_request(
    scenario_emulator, field, value, others, parameter
) -> None:
    op = Veo31GenerateOperator(task_id="generate", prompt="a fox", **others)  # valid when parsed
    setattr(op, field, value)  # e.g. a DAG file that changes the attribute after construction
    with pytest.raises(InvalidParameterError) as raised:
        op.execute(task_context())

    assert raised.value.parameter == parameter
    assert no_http(scenario_emulator)


@pytest.mark.parametrize(("field", "value", "others", "parameter"), INVALID.values(), ids=INVALID.keys())
def test_templated_values_fail_after_templating_before_any_request(
    scenario_emulator, field, value, others, parameter
) -> None:
    with DAG("validation", schedule=None, render_template_as_native_obj=True):
        params = {"prompt": "a fox", **others, field: "{{ bad_value }}"}
        op = Veo31GenerateOperator(task_id="generate", **params)
    op.render_template_fields({"bad_value": value})
    with pytest.raises(InvalidParameterError) as raised:
        op.execute(task_context())

    assert raised.value.parameter == parameter
    assert repr(raised.value.value) in str(raised.value)
    assert no_http(scenario_emulator)


def test_the_message_names_parameter_value_and_what_is_allowed() -> None:
    with pytest.raises(
        InvalidParameterError, match=r"Invalid duration=5: allowed values are 4, 6, 8 \(seconds\)"
    ):
        Veo31GenerateOperator(task_id="generate", prompt="a fox", duration=5)


def test_static_values_are_checked_even_when_others_are_templated() -> None:
    with pytest.raises(InvalidParameterError, match="resolution"):
        Veo31GenerateOperator(task_id="generate", prompt="{{ params.prompt }}", resolution="4k")


def test_values_from_xcom_are_checked_at_run_time_only() -> None:
    with DAG("xcom_values", schedule=None):

        @task
        def pick_duration() -> int:
            return 5

        op = Veo31GenerateOperator(task_id="generate", prompt="a fox", duration=pick_duration())
    assert op.task_id == "generate"  # no error at parse time: the value is not known yet


@pytest.mark.parametrize(
    ("setting", "value"),
    [("poll_interval", 0), ("timeout", -1), ("max_creative_units", 0), ("timeout", True)],
)
def test_wait_settings_must_be_positive(setting: str, value: float) -> None:
    with pytest.raises(ValueError, match=setting):
        Veo31GenerateOperator(task_id="generate", prompt="a fox", **{setting: value})


def test_rendered_strings_are_converted(scenario_emulator) -> None:
    op = Veo31GenerateOperator(
        task_id="generate",
        prompt="{{ params.prompt }}",
        duration="{{ params.duration }}",
        seed="{{ params.seed }}",
        generate_audio="{{ params.audio }}",
        wait_for_completion=False,
    )
    op.render_template_fields(
        {"params": {"prompt": "a fox", "duration": "6", "seed": "42", "audio": "False"}}
    )
    job_id = op.execute(task_context())

    sent = scenario_emulator.job(job_id)["metadata"]["input"]
    assert sent["duration"] == 6
    assert sent["seed"] == 42
    assert sent["generateAudio"] is False
    assert sent["prompt"] == "a fox"


class TestUnsettledRules:
    """``veo31_rules`` relaxes the rules docs/api-unknowns.md lists, at parse time and after templating."""

    RELAXED = Veo31Rules(reject_portrait_with_reference_images=False)

    def test_portrait_with_reference_images_is_refused_by_default(self) -> None:
        with pytest.raises(InvalidParameterError, match=r"aspect_ratio \(aspectRatio\)"):
            Veo31GenerateOperator(
                task_id="generate", prompt="a fox", aspect_ratio="9:16", reference_images=[A]
            )

    def test_relaxed_rules_accept_and_send_it(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(rules=self.RELAXED)) as emu:
            references = [emu.create_image_asset(), emu.create_image_asset()]
            op = Veo31GenerateOperator(
                task_id="generate",
                prompt="a fox",
                aspect_ratio="9:16",
                reference_images=references,
                veo31_rules=self.RELAXED,
                wait_for_completion=False,
            )
            job_id = op.execute(task_context())

            sent = emu.job(job_id)["metadata"]["input"]
            assert (sent["aspectRatio"], sent["referenceImages"]) == ("9:16", references)
            assert emu.paid_submissions == 1

    @pytest.mark.parametrize(("rules", "accepted"), [(None, False), (RELAXED, True)])
    def test_the_rules_apply_after_templating(self, scenario_emulator_factory, rules, accepted) -> None:
        with scenario_emulator_factory(EmulatorConfig(rules=self.RELAXED)) as emu:
            reference = emu.create_image_asset()
            op = Veo31GenerateOperator(
                task_id="generate",
                prompt="a fox",
                aspect_ratio="{{ params.aspect_ratio }}",
                reference_images=[reference],
                veo31_rules=rules,
                wait_for_completion=False,
            )
            op.render_template_fields({"params": {"aspect_ratio": "9:16"}})
            if accepted:
                job_id = op.execute(task_context())
                assert emu.job(job_id)["metadata"]["input"]["aspectRatio"] == "9:16"
            else:
                with pytest.raises(InvalidParameterError, match="aspectRatio"):
                    op.execute(task_context())
            assert emu.paid_submissions == int(accepted)
