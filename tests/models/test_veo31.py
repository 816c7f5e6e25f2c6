"""The Veo 3.1 rules: every allowed value and cross-field rule, with the parameter named in the error."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_veo.exceptions import InvalidParameterError
from airflow_provider_veo.models.job import TERMINAL_STATUSES, JobStatus
from airflow_provider_veo.models.veo31 import (
    API_DEFAULTS,
    API_FIELDS,
    Veo31Request,
    Veo31Rules,
    asset_refs_in,
    frame_size,
    model_inputs,
    validate_api_body,
    with_defaults,
)


def test_defaults_produce_the_reference_body() -> None:
    assert Veo31Request(prompt="a fox").to_api_body() == {
        "prompt": "a fox",
        "resolution": "720p",
        "generateAudio": True,
        "aspectRatio": "16:9",
        "duration": 8,
    }


def test_every_parameter_maps_to_its_camel_case_field() -> None:
    request = Veo31Request(
        prompt="p",
        image="asset_first",
        last_frame_image="asset_last",
        negative_prompt="n",
        resolution="1080p",
        generate_audio=False,
        aspect_ratio="9:16",
        duration=4,
        seed=7,
    )
    assert request.to_api_body() == {
        "prompt": "p",
        "image": "asset_first",
        "lastFrameImage": "asset_last",
        "negativePrompt": "n",
        "resolution": "1080p",
        "generateAudio": False,
        "aspectRatio": "9:16",
        "duration": 4,
        "seed": 7,
    }
    assert set(API_FIELDS) - {"video"} == set(Veo31Request.__dataclass_fields__) - {"rules", "model_id"}


def test_reference_images_body() -> None:
    body = Veo31Request(
        prompt="p", reference_images=("asset_a", "asset_b"), reference_images_type="STYLE"
    ).to_api_body()
    assert body["referenceImages"] == ["asset_a", "asset_b"]
    assert body["referenceImagesType"] == "STYLE"
    assert [asset_id for _, asset_id in asset_refs_in(body)] == ["asset_a", "asset_b"]


def test_asset_refs_name_the_field_of_each_asset() -> None:
    body = {"image": "asset_first", "lastFrameImage": "asset_last", "prompt": "p", "generateAudio": True}
    assert asset_refs_in(body) == [("image", "asset_first"), ("lastFrameImage", "asset_last")]
    refs = asset_refs_in({"referenceImages": ["asset_a", "asset_b"], "image": None})
    assert refs == [("referenceImages", "asset_a"), ("referenceImages", "asset_b")]
    assert asset_refs_in({"prompt": "no assets"}) == []


def test_with_defaults_fills_every_unset_field_with_the_reference_default() -> None:
    assert with_defaults({}) == {
        "referenceImagesType": "ASSET",
        "negativePrompt": "",
        "resolution": "720p",
        "generateAudio": True,
        "aspectRatio": "16:9",
        "duration": 8,
    }
    assert with_defaults({"prompt": "a fox"})["prompt"] == "a fox"


def test_with_defaults_keeps_set_fields_treats_null_as_unset_and_copies() -> None:
    body: dict[str, Any] = {
        "resolution": "1080p",
        "generateAudio": False,
        "aspectRatio": None,
        "duration": 4,
        "seed": 7,
    }
    effective = with_defaults(body)
    assert effective["resolution"] == "1080p"
    assert effective["generateAudio"] is False
    assert effective["aspectRatio"] == "16:9"
    assert effective["duration"] == 4
    assert effective["seed"] == 7
    assert set(effective) == set(body) | set(API_DEFAULTS)
    assert body["aspectRatio"] is None  # the caller's body is not modified


def test_defaults_agree_across_request_model_inputs_and_with_defaults() -> None:
    advertised = {item["name"]: item["default"] for item in model_inputs() if "default" in item}
    assert advertised == API_DEFAULTS
    assert Veo31Request().to_api_body().items() <= with_defaults({}).items()


@pytest.mark.parametrize(
    ("kwargs", "parameter", "fragment"),
    [
        ({"resolution": "4k"}, "resolution", "'720p', '1080p'"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio (aspectRatio)", "'16:9', '9:16'"),
        ({"duration": 5}, "duration", "4, 6, 8"),
        ({"duration": True}, "duration", "4, 6, 8"),
        ({"duration": "8"}, "duration", "4, 6, 8"),
        (
            {"reference_images": ["asset_a"], "reference_images_type": "PHOTO"},
            "reference_images_type",
            "'ASSET'",
        ),
        ({"reference_images": []}, "reference_images (referenceImages)", "1 to 3 images, got 0"),
        ({"reference_images": ["a", "b", "c", "d"]}, "reference_images (referenceImages)", "got 4"),
        ({"reference_images": "asset_a"}, "reference_images (referenceImages)", "list of asset ids"),
        (
            {"image": "asset_a", "reference_images": ["asset_b"]},
            "reference_images",
            "cannot be combined with image",
        ),
        ({"reference_images": ["asset_a"], "duration": 6}, "duration", "only duration=8"),
        (
            {"reference_images": ["asset_a"], "aspect_ratio": "9:16"},
            "aspect_ratio",
            "not supported with reference",
        ),
        ({"seed": -1}, "seed", "0 to 4294967295"),
        ({"seed": 2**32}, "seed", "0 to 4294967295"),
        ({"seed": 1.5}, "seed", "integer"),
        ({"generate_audio": "yes"}, "generate_audio (generateAudio)", "boolean"),
        ({"prompt": 42}, "prompt", "string"),
        ({"image": "  "}, "image", "non-empty asset id"),
    ],
)
def test_invalid_values_name_parameter_value_and_allowed(
    kwargs: dict[str, Any], parameter: str, fragment: str
) -> None:
    with pytest.raises(InvalidParameterError) as err:
        Veo31Request(**{"prompt": "p", **kwargs})
    message = str(err.value)
    assert message.startswith(f"Invalid {parameter}")
    assert fragment in message
    assert isinstance(err.value, ValueError)


def test_api_body_rules_for_the_emulator() -> None:
    with pytest.raises(InvalidParameterError, match="generateAudio"):
        validate_api_body({"prompt": "x"})
    validate_api_body({"prompt": "x"}, Veo31Rules(require_generate_audio=False))
    with pytest.raises(InvalidParameterError, match="unknown field"):
        validate_api_body({"generateAudio": True, "fps": 30})
    validate_api_body({"generateAudio": True, "fps": 30}, Veo31Rules(reject_unknown_fields=False))
    portrait = {"prompt": "p", "generateAudio": True, "referenceImages": ["asset_a"], "aspectRatio": "9:16"}
    with pytest.raises(InvalidParameterError):
        validate_api_body(portrait)
    validate_api_body(portrait, Veo31Rules(reject_portrait_with_reference_images=False))
    with pytest.raises(InvalidParameterError, match="JSON object"):
        validate_api_body(["not", "an", "object"])  # type: ignore[arg-type]


def test_float_duration_that_is_whole_is_accepted_as_json_number() -> None:
    validate_api_body({"generateAudio": True, "duration": 6.0})


def test_frame_sizes() -> None:
    assert frame_size("16:9", "720p") == (1280, 720)
    assert frame_size("16:9", "1080p") == (1920, 1080)
    assert frame_size("9:16", "720p") == (720, 1280)
    assert frame_size("9:16", "1080p") == (1080, 1920)


def test_model_inputs_are_derived_from_the_rules() -> None:
    inputs = {item["name"]: item for item in model_inputs()}
    assert list(inputs) == [name for name in API_FIELDS.values() if name != "video"]
    assert inputs["duration"]["allowedValues"] == [4, 6, 8]
    assert inputs["resolution"]["default"] == "720p"
    assert inputs["generateAudio"]["required"] == {"always": True}
    assert inputs["referenceImagesType"]["allowedValues"] == ["ASSET", "STYLE"]


def test_job_status_enum() -> None:
    assert {s for s in JobStatus if s.is_terminal} == TERMINAL_STATUSES
    assert JobStatus.parse("warming-up") is JobStatus.WARMING_UP
    with pytest.raises(ValueError, match="known statuses"):
        JobStatus.parse("failed")
