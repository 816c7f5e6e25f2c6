"""One Veo31GenerateOperator for 3.1, Fast and Lite: model_id selects the rules, at parse time and after
templating, with zero HTTP requests on invalid input; issue 8 §6 parameter rules name parameter and task."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_provider_veo.exceptions import InvalidParameterError
from airflow_provider_veo.models.veo31_family import FAST_MODEL_ID, LITE_MODEL_ID, MODEL_ID, VEO31_FAMILY
from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.testing.emulator.cost import creative_units
from tests.support.context import task_context


def no_http(emulator: Any) -> bool:
    counters = emulator.counters()
    return not counters["routes"] and counters["tcp_connections"] == 0


@pytest.mark.parametrize(
    ("model_id", "others"),
    [
        (LITE_MODEL_ID, {"reference_images": ["asset_a"]}),
        (FAST_MODEL_ID, {"reference_images": ["asset_a"], "reference_images_type": "STYLE"}),
    ],
)
def test_a_parameter_the_model_lacks_fails_at_parse_time_naming_model_and_task(model_id, others) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        Veo31GenerateOperator(task_id="draft", prompt="a fox", model_id=model_id, **others)
    assert f"is not an input of {model_id}" in str(raised.value)
    assert str(raised.value).startswith("Task 'draft': Invalid reference_images")
    assert raised.value.task_id == "draft"


def test_a_templated_model_is_judged_after_templating_before_any_request(scenario_emulator) -> None:
    with DAG("family", schedule=None):
        op = Veo31GenerateOperator(
            task_id="render", prompt="a fox", model_id="{{ params.model }}", reference_images=["asset_a"]
        )  # fine when parsed: the full model takes reference images
    op.render_template_fields({"params": {"model": LITE_MODEL_ID}})
    with pytest.raises(InvalidParameterError, match=f"Task 'render'.*not an input of {LITE_MODEL_ID}"):
        op.execute(task_context())
    assert no_http(scenario_emulator)


@pytest.mark.parametrize("model_id", [MODEL_ID, FAST_MODEL_ID, LITE_MODEL_ID])
def test_the_templated_model_is_the_one_paid_for(scenario_emulator, model_id) -> None:
    op = Veo31GenerateOperator(
        task_id="render",
        prompt="a fox",
        duration=4,
        model_id="{{ params.model }}",
        poll_interval=0.1,
        deferrable=False,
    )
    op.render_template_fields({"params": {"model": model_id}})
    result = op.execute(task_context())

    job = scenario_emulator.job(result["job_id"])
    assert result["cost"] == creative_units(VEO31_FAMILY[model_id], job["metadata"]["input"])
    assert scenario_emulator.paid_submissions == 1


@pytest.mark.parametrize("model_id", [None, "", 123, "model_veo3-1-extend-video", "model_unknown"])
def test_model_id_must_be_a_generation_model(model_id) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        Veo31GenerateOperator(task_id="generate", prompt="a fox", model_id=model_id)
    assert raised.value.parameter == "model_id"
    assert "Task 'generate'" in str(raised.value)


@pytest.mark.parametrize(
    ("field", "value", "parameter"),
    [
        ("image", 123, "image"),
        ("image", True, "image"),
        ("image", {"asset": "asset_a"}, "image"),
        ("image", b"\x89PNG", "image"),
        ("image", ["asset_a"], "image"),
        ("last_frame_image", 4.5, "last_frame_image (lastFrameImage)"),
        ("reference_images", [1, 2], "reference_images (referenceImages)"),
        ("reference_images", [{"id": "asset_a"}], "reference_images (referenceImages)"),
        ("duration", "eight", "duration"),
        ("duration", "8s", "duration"),
        ("seed", "abc", "seed"),
        ("seed", "1e3", "seed"),
    ],
)
def test_wrong_types_fail_at_construction_naming_parameter_and_task(field, value, parameter) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        Veo31GenerateOperator(task_id="generate_b", prompt="a fox", **{field: value})
    assert raised.value.parameter == parameter
    assert str(raised.value).startswith(f"Task 'generate_b': Invalid {parameter}=")


def test_rules_that_a_templated_value_may_satisfy_wait_for_templating(scenario_emulator) -> None:
    op = Veo31GenerateOperator(
        task_id="generate", prompt="{{ params.prompt }}", reference_images=["asset_a"]
    )  # the prompt the references need may come from the template
    op.render_template_fields({"params": {"prompt": ""}})
    with pytest.raises(InvalidParameterError, match="Task 'generate': Invalid prompt=''"):
        op.execute(task_context())
    assert no_http(scenario_emulator)
