"""The emulator serves the whole Veo 3.1 family: each model's rules, prices and GET /models answer, and
Extend outputs that are real MP4s of the source plus 7 s."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_veo.models.veo31 import Veo31Rules
from airflow_provider_veo.models.veo31_family import (
    EXTEND_MODEL_ID,
    FAST_MODEL_ID,
    LITE_MODEL_ID,
    MODEL_ID,
    VEO31_FAMILY,
    model_inputs,
)
from airflow_provider_veo.testing import EmulatorConfig
from airflow_provider_veo.testing.mp4probe import probe_mp4

from .conftest import VALID_BODY, Api

BODY = {**VALID_BODY, "duration": 8}


def generate(api: Api, model_id: str, body: dict[str, Any], **kwargs: Any) -> requests.Response:
    return api.post(f"/generate/custom/{model_id}", json=body, **kwargs)


def extend(api: Api, video: str) -> str:
    """Extend ``video`` once and wait: the new video's asset id."""
    response = generate(api, EXTEND_MODEL_ID, {"video": video, "generateAudio": True})
    return str(api.wait(response.json()["job"]["jobId"])["metadata"]["assetIds"][0])


def dry_run_cost(api: Api, model_id: str, body: dict[str, Any]) -> int:
    response = generate(api, model_id, body, params={"dryRun": "true"})
    assert response.status_code == 269, response.text
    return int(response.json()["creativeUnitsCost"])


@pytest.mark.parametrize("model_id", list(VEO31_FAMILY))
def test_get_model_answers_each_member_from_its_spec(api: Api, model_id: str) -> None:
    model = api.get(f"/models/{model_id}").json()["model"]
    spec = VEO31_FAMILY[model_id]
    assert model["id"] == model_id
    assert model["name"] == spec.name
    assert model["capabilities"] == list(spec.capabilities)
    assert [item["name"] for item in model["inputs"]] == [item["name"] for item in model_inputs(spec)]
    assert api.get("/models/model_veo3-1-ultra").status_code == 404


def test_prices_follow_the_reference_relations(api: Api, scenario_emulator: Any) -> None:
    full, fast, lite = (
        dry_run_cost(api, model_id, BODY) for model_id in (MODEL_ID, FAST_MODEL_ID, LITE_MODEL_ID)
    )
    source = scenario_emulator.create_video_asset()
    extend = dry_run_cost(api, EXTEND_MODEL_ID, {"video": source, "generateAudio": True})
    assert lite < fast < full < extend
    assert lite == full / 5  # "roughly five times between Lite and full 3.1"
    silent = dry_run_cost(api, EXTEND_MODEL_ID, {"video": source, "generateAudio": False})
    assert silent < extend
    assert scenario_emulator.paid_submissions == 0


@pytest.mark.parametrize(
    ("model_id", "field", "value"),
    [
        (LITE_MODEL_ID, "referenceImages", ["asset_a"]),
        (FAST_MODEL_ID, "referenceImagesType", "ASSET"),
        (EXTEND_MODEL_ID, "duration", 8),
        (EXTEND_MODEL_ID, "resolution", "720p"),
    ],
)
def test_an_input_the_model_lacks_is_a_400_naming_model(
    api: Api, model_id: str, field: str, value: Any
) -> None:
    body = {"video": "asset_x", **VALID_BODY} if model_id == EXTEND_MODEL_ID else dict(BODY)
    response = generate(api, model_id, {**body, field: value})
    assert response.status_code == 400
    assert f"is not an input of {model_id}" in response.json()["reason"]


def test_extend_checks_its_source(api: Api, scenario_emulator: Any) -> None:
    image = scenario_emulator.create_image_asset()
    assert (
        "needs a video asset" in generate(api, EXTEND_MODEL_ID, {"video": image, "generateAudio": True}).text
    )
    missing = generate(api, EXTEND_MODEL_ID, {"generateAudio": True})
    assert missing.status_code == 400
    assert "video" in missing.json()["reason"]
    portrait = api.wait(api.submit({**BODY, "aspectRatio": "9:16", "duration": 4})["jobId"])
    response = generate(
        api, EXTEND_MODEL_ID, {"video": portrait["metadata"]["assetIds"][0], "generateAudio": True}
    )
    assert response.status_code == 400
    assert "16:9" in response.json()["reason"]
    assert scenario_emulator.paid_submissions == 1  # only the portrait generation


@pytest.mark.parametrize(("whole", "expected"), [(True, [15.0, 22.0]), (False, [7.0, 7.0])])
def test_extend_renders_the_source_plus_7_seconds(scenario_emulator_factory: Any, whole, expected) -> None:
    rules = Veo31Rules(extend_returns_whole_video=whole)
    with scenario_emulator_factory(EmulatorConfig(job_duration=0.05, rules=rules)) as emulator:
        api = Api(emulator)
        video = emulator.create_video_asset()  # a real 8 s 1280x720 MP4
        durations = []
        for _ in expected:
            video = extend(api, video)
            asset = api.get(f"/assets/{video}").json()["asset"]
            info = probe_mp4(requests.get(asset["url"], timeout=10).content)
            assert (info.width, info.height, info.has_audio) == (1280, 720, True)
            assert asset["properties"]["duration"] == info.duration
            assert asset["metadata"]["type"] == "video2video"
            durations.append(info.duration)
        assert durations == expected


def test_extend_chain_length_is_capped(scenario_emulator_factory: Any) -> None:
    with scenario_emulator_factory(
        EmulatorConfig(job_duration=0.0, rules=Veo31Rules(max_extensions=2))
    ) as emu:
        api = Api(emu)
        video = emu.create_video_asset()
        for _ in range(2):
            video = extend(api, video)
        third = generate(api, EXTEND_MODEL_ID, {"video": video, "generateAudio": True})
        assert third.status_code == 400
        assert "already extended 2 times" in third.json()["reason"]
