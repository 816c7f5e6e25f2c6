"""POST /generate/custom/{modelId}: validation, cost, dry runs, auth, plan and concurrency limits."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from airflow_provider_veo.models.veo31 import Veo31Rules
from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator

from .conftest import VALID_BODY, Api

GENERATE = "/generate/custom/model_veo3-1"


def _body(**fields: Any) -> dict[str, Any]:
    return {**VALID_BODY, **fields}


def test_valid_submission_creates_one_queued_job(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    response = api.post(GENERATE, json=_body(duration=4))

    assert response.status_code == 200
    payload = response.json()
    job = payload["job"]
    assert job["jobId"].startswith("job_")
    assert job["jobType"] == "custom"
    assert job["status"] == "queued"
    assert job["progress"] == 0
    assert job["statusHistory"][0]["status"] == "queued"
    assert job["metadata"] == {"input": _body(duration=4), "assetIds": [], "error": None, "hint": None}
    assert job["ownerId"] == "proj_emulator"
    assert job["authorId"]
    assert payload["creativeUnitsCost"] == 60
    assert payload["creativeUnitsDiscount"] == 0
    assert payload["costDetails"] == {"custom-generation": 60}
    assert scenario_emulator.paid_submissions == 1
    assert scenario_emulator.count("POST /generate/custom/{modelId}") == 1


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"resolution": "4k"}, "resolution"),
        ({"resolution": 720}, "resolution"),
        ({"aspectRatio": "1:1"}, "aspectRatio"),
        ({"duration": 5}, "duration"),
        ({"duration": "8"}, "duration"),
        ({"duration": True}, "duration"),
        ({"referenceImagesType": "COLOR"}, "referenceImagesType"),
        ({"referenceImages": []}, "referenceImages"),
        ({"referenceImages": ["asset_a", "asset_b", "asset_c", "asset_d"]}, "referenceImages"),
        ({"referenceImages": "asset_a"}, "referenceImages"),
        ({"generateAudio": "yes"}, "generateAudio"),
        ({"generateAudio": None}, "generateAudio"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"prompt": 42}, "prompt"),
        ({"image": ""}, "image"),
        ({"numOutputs": 2}, "numOutputs"),
    ],
)
def test_invalid_values_are_rejected_naming_the_parameter(
    api: Api, scenario_emulator: ScenarioEmulator, fields: dict[str, Any], named: str
) -> None:
    body = {k: v for k, v in _body(**fields).items() if v is not None}

    response = api.post(GENERATE, json=body)

    assert response.status_code == 400
    assert named in response.json()["reason"]
    assert scenario_emulator.paid_submissions == 0


def test_cross_field_rules(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    image = scenario_emulator.create_image_asset()
    ref = scenario_emulator.create_image_asset()

    both = api.post(GENERATE, json=_body(image=image, referenceImages=[ref]))
    short = api.post(GENERATE, json=_body(referenceImages=[ref], duration=6))
    portrait = api.post(GENERATE, json=_body(referenceImages=[ref], aspectRatio="9:16"))

    assert both.status_code == 400
    assert "image" in both.json()["reason"]
    assert short.status_code == 400
    assert "duration" in short.json()["reason"]
    assert portrait.status_code == 400
    assert "9:16" in portrait.json()["reason"]
    assert scenario_emulator.paid_submissions == 0


def test_accepted_shapes_with_assets(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    refs = [scenario_emulator.create_image_asset() for _ in range(3)]
    first, last = scenario_emulator.create_image_asset(), scenario_emulator.create_image_asset()

    for body in (
        _body(referenceImages=refs, referenceImagesType="STYLE", duration=8),
        _body(referenceImages=refs[:1]),
        _body(image=first, lastFrameImage=last, aspectRatio="9:16", resolution="1080p", duration=6),
        _body(generateAudio=False, negativePrompt="", seed=0),
        _body(seed=2**32 - 1),
    ):
        assert api.post(GENERATE, json=body).status_code == 200, body
    assert scenario_emulator.paid_submissions == 5


@pytest.mark.parametrize("field", ["image", "lastFrameImage", "referenceImages"])
def test_unknown_asset_ids_are_rejected_naming_the_id(
    api: Api, scenario_emulator: ScenarioEmulator, field: str
) -> None:
    value: Any = ["asset_missing"] if field == "referenceImages" else "asset_missing"

    response = api.post(GENERATE, json=_body(**{field: value}))

    assert response.status_code == 400
    assert "asset_missing" in response.json()["reason"]
    assert scenario_emulator.paid_submissions == 0


def test_a_video_asset_is_not_an_image(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    video = scenario_emulator.create_video_asset(size=1 << 20)

    response = api.post(GENERATE, json=_body(image=video))

    assert response.status_code == 400
    assert video in response.json()["reason"]


def test_unsettled_rules_are_switchable(scenario_emulator_factory: Any) -> None:
    rules = Veo31Rules(reject_portrait_with_reference_images=False, require_generate_audio=False)
    with scenario_emulator_factory(EmulatorConfig(rules=rules)) as emu:
        api = Api(emu)
        ref = emu.create_image_asset()
        assert api.post(GENERATE, json={"prompt": "no audio flag"}).status_code == 200
        assert api.post(GENERATE, json=_body(referenceImages=[ref], aspectRatio="9:16")).status_code == 200
        api.close()


@pytest.mark.parametrize(
    ("fields", "cost"),
    [
        ({}, 120),
        ({"duration": 4, "generateAudio": False}, 40),
        ({"duration": 6, "resolution": "1080p"}, 120),
        ({"duration": 8, "resolution": "1080p", "generateAudio": False}, 120),
        ({"duration": 4, "resolution": "720p"}, 60),
    ],
)
def test_dry_run_answers_269_with_the_cost_and_creates_nothing(
    api: Api, scenario_emulator: ScenarioEmulator, fields: dict[str, Any], cost: int
) -> None:
    response = api.post(GENERATE, json=_body(**fields), params={"dryRun": "true"})

    assert response.status_code == 269
    assert response.json() == {
        "creativeUnitsCost": cost,
        "creativeUnitsDiscount": 0,
        "costDetails": {"custom-generation": cost},
    }
    assert scenario_emulator.paid_submissions == 0
    assert api.get("/jobs").json()["jobs"] == []
    assert api.post(GENERATE, json=_body(**fields)).json()["creativeUnitsCost"] == cost


def test_dry_run_still_validates(api: Api) -> None:
    response = api.post(GENERATE, json=_body(duration=5), params={"dryRun": "true"})

    assert response.status_code == 400


def test_cost_is_billed_on_success(api: Api) -> None:
    job = api.submit(_body(duration=6, resolution="1080p", generateAudio=False))
    assert job["billing"] == {"cuCost": 0, "cuDiscount": 0}

    done = api.wait(job["jobId"])

    assert done["status"] == "success"
    assert done["billing"] == {"cuCost": 90, "cuDiscount": 0}


def test_unknown_model_is_404(api: Api) -> None:
    response = api.post("/generate/custom/model_nope", json=VALID_BODY)

    assert response.status_code == 404
    assert response.json() == {"reason": "Model not found"}


def test_model_outside_the_plan_is_403(scenario_emulator_factory: Any) -> None:
    with scenario_emulator_factory(EmulatorConfig(forbidden_models=["model_veo3-1"])) as emu:
        api = Api(emu)
        response = api.post(GENERATE, json=VALID_BODY)
        api.close()

    assert response.status_code == 403
    assert "plan" in response.json()["reason"]
    assert emu.paid_submissions == 0


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic " + base64.b64encode(b"emulator-key:").decode(),
        "Basic " + base64.b64encode(b":emulator-secret").decode(),
        "Basic not-base64!",
        "Bearer emulator-secret",
    ],
)
def test_requests_without_valid_basic_auth_are_401(
    scenario_emulator_factory: Any, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with scenario_emulator_factory(EmulatorConfig(strict_credentials=True)) as emulator:
        for method, path in (("POST", GENERATE), ("GET", "/jobs/job_x"), ("GET", "/models/model_veo3-1")):
            response = requests.request(
                method, emulator.base_url + path, json=VALID_BODY, headers=headers, timeout=10
            )
            assert response.status_code == 401
            assert "reason" in response.json()
        assert emulator.paid_submissions == 0


@pytest.mark.parametrize(
    ("credentials", "status"),
    [(b"any-key:any-secret", 200), (b"any-key:", 401), (b":any-secret", 401)],
)
def test_by_default_any_non_empty_key_and_secret_are_accepted(
    scenario_emulator: ScenarioEmulator, credentials: bytes, status: int
) -> None:
    headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}
    response = requests.get(scenario_emulator.base_url + "/models/model_veo3-1", headers=headers, timeout=10)

    assert response.status_code == status


def test_invalid_json_is_400(api: Api) -> None:
    response = api.session.post(
        api.emulator.base_url + GENERATE, data=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {"reason": "Invalid JSON body"}


def test_parallel_jobs_ceiling_answers_429_with_details(scenario_emulator_factory: Any) -> None:
    with scenario_emulator_factory(EmulatorConfig(max_parallel_jobs=2, job_duration=0.5)) as emu:
        api = Api(emu)
        first, _second = api.submit(), api.submit()
        refused = api.post(GENERATE, json=VALID_BODY)
        dry_run = api.post(GENERATE, json=VALID_BODY, params={"dryRun": "true"})
        api.wait(first["jobId"])
        accepted = api.post(GENERATE, json=VALID_BODY)
        api.close()

    assert refused.status_code == 429
    assert refused.json()["details"] == {"actionName": "model_run", "actionLimit": 2}
    assert "Retry-After" not in refused.headers
    assert dry_run.status_code == 269
    assert accepted.status_code == 200
    assert emu.paid_submissions == 3


def test_parallel_ceiling_retry_after_is_configurable(scenario_emulator_factory: Any) -> None:
    config = EmulatorConfig(max_parallel_jobs=1, parallel_limit_retry_after=3, job_duration=5)
    with scenario_emulator_factory(config) as emu:
        api = Api(emu)
        api.submit()
        refused = api.post(GENERATE, json=VALID_BODY)
        api.close()

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3"


def test_project_id_sets_and_asserts_ownership(api: Api) -> None:
    job = api.submit(params={"projectId": "proj_team_a"})

    assert job["ownerId"] == "proj_team_a"
    assert api.get(f"/jobs/{job['jobId']}", params={"projectId": "proj_team_a"}).status_code == 200
    assert api.get(f"/jobs/{job['jobId']}", params={"projectId": "proj_other"}).status_code == 404
    assert api.get(f"/jobs/{job['jobId']}").status_code == 200


def test_ids_are_deterministic_under_the_seed(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    first = [api.submit()["jobId"] for _ in range(3)]
    scenario_emulator.reset()
    again = [api.submit()["jobId"] for _ in range(3)]

    assert first == again
    assert len(set(first)) == 3
