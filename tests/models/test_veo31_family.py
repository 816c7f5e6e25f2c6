"""The Veo 3.1 family: each member's inputs and rules, written once for the operator and the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_veo.exceptions import InvalidParameterError
from airflow_provider_veo.models.veo31 import Veo31ExtendRequest, Veo31Request, Veo31Rules, generate_spec
from airflow_provider_veo.models.veo31_family import (
    EXTEND_MODEL_ID,
    FAST_MODEL_ID,
    LITE_MODEL_ID,
    MODEL_ID,
    VEO31_FAMILY,
    model_inputs,
)

REFS = ["asset_a"]


def test_each_member_takes_the_inputs_of_the_reference_table() -> None:
    names = {model_id: [i["name"] for i in model_inputs(spec)] for model_id, spec in VEO31_FAMILY.items()}
    full = list(names[MODEL_ID])
    assert names[FAST_MODEL_ID] == [n for n in full if n != "referenceImagesType"]
    assert names[LITE_MODEL_ID] == [n for n in full if n not in ("referenceImages", "referenceImagesType")]
    assert names[EXTEND_MODEL_ID] == ["prompt", "video", "generateAudio", "seed"]
    extend = {item["name"]: item for item in model_inputs(VEO31_FAMILY[EXTEND_MODEL_ID])}
    assert extend["video"]["required"] == {"always": True}
    assert extend["video"]["kind"] == "video"


@pytest.mark.parametrize(
    ("model_id", "kwargs", "parameter"),
    [
        (LITE_MODEL_ID, {"reference_images": REFS}, "reference_images (referenceImages)"),
        (LITE_MODEL_ID, {"reference_images_type": "ASSET"}, "reference_images_type (referenceImagesType)"),
        (FAST_MODEL_ID, {"reference_images": REFS, "reference_images_type": "STYLE"}, "reference_images_"),
    ],
)
def test_an_input_the_model_lacks_is_refused_naming_the_model(model_id, kwargs, parameter) -> None:
    with pytest.raises(InvalidParameterError, match=f"is not an input of {model_id}") as raised:
        Veo31Request(prompt="a fox", model_id=model_id, **kwargs)
    assert raised.value.parameter.startswith(parameter)
    # also when the rules would let the emulator ignore unknown fields
    lenient = Veo31Rules(reject_unknown_fields=False)
    with pytest.raises(InvalidParameterError, match=model_id):
        Veo31Request(prompt="a fox", model_id=model_id, rules=lenient, **kwargs)


def test_shared_rules_apply_to_every_member_that_has_the_inputs() -> None:
    for model_id in (MODEL_ID, FAST_MODEL_ID):
        with pytest.raises(InvalidParameterError, match="only duration=8"):
            Veo31Request(prompt="a fox", reference_images=REFS, duration=4, model_id=model_id)
        assert Veo31Request(prompt="a fox", reference_images=REFS, model_id=model_id).to_api_body()
    for model_id in (MODEL_ID, FAST_MODEL_ID, LITE_MODEL_ID):
        with pytest.raises(InvalidParameterError, match="resolution"):
            Veo31Request(prompt="a fox", resolution="4k", model_id=model_id)


@pytest.mark.parametrize(
    ("kwargs", "parameter", "fragment"),
    [
        ({"reference_images": REFS, "last_frame_image": "asset_b"}, "reference_images", "last_frame_image"),
        ({"reference_images": REFS, "prompt": None}, "prompt", "required with reference_images"),
        ({"reference_images": REFS, "prompt": "  "}, "prompt", "required with reference_images"),
        ({"reference_images_type": "STYLE"}, "reference_images_type", "applies to reference_images only"),
    ],
)
def test_issue_8_rules_are_refused_by_default_and_switchable(kwargs, parameter, fragment) -> None:
    params = {"prompt": "a fox", **kwargs}
    with pytest.raises(InvalidParameterError, match=fragment) as raised:
        Veo31Request(**params)
    assert raised.value.parameter.startswith(parameter)
    relaxed = Veo31Rules(
        reject_last_frame_with_reference_images=False,
        require_prompt_with_reference_images=False,
        reject_reference_images_type_alone=False,
    )
    assert Veo31Request(**params, rules=relaxed).to_api_body()


@pytest.mark.parametrize("model_id", [None, "", 123, "veo3-1", "model_", "model_veo2", EXTEND_MODEL_ID])
def test_generation_model_ids_are_the_family_members_only(model_id) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        generate_spec(model_id)
    assert raised.value.parameter == "model_id"
    if model_id == EXTEND_MODEL_ID:
        assert "Veo31ExtendOperator" in str(raised.value)


def test_extend_takes_a_video_and_nothing_else() -> None:
    assert Veo31ExtendRequest(video="asset_v", prompt="on", seed=3).to_api_body() == {
        "prompt": "on",
        "video": "asset_v",
        "generateAudio": True,
        "seed": 3,
    }
    for bad in ("", "  ", 12):
        with pytest.raises(InvalidParameterError, match="video"):
            Veo31ExtendRequest(video=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="seed"):
        Veo31ExtendRequest(video="asset_v", seed=-1)


def test_error_names_the_task_when_known() -> None:
    error = InvalidParameterError("seed", -1, "must be >= 0").for_task("draft")
    assert str(error) == "Task 'draft': Invalid seed=-1: must be >= 0"
    assert (error.parameter, error.value, error.task_id) == ("seed", -1, "draft")
