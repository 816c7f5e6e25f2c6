"""The official scenario-sdk drives the emulator and its strictly validated types parse every answer."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import scenario_sdk
from scenario_sdk import Scenario

from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator, make_png
from airflow_provider_veo.testing.mp4probe import probe_mp4

from .conftest import VALID_BODY


@pytest.fixture
def client(scenario_emulator: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scenario]:
    monkeypatch.setenv("SCENARIO_BASE_URL", scenario_emulator.base_url)
    monkeypatch.setenv("SCENARIO_SDK_API_KEY", scenario_emulator.api_key)
    monkeypatch.setenv("SCENARIO_SDK_API_SECRET", scenario_emulator.api_secret)
    with Scenario(_strict_response_validation=True, max_retries=0) as sdk:
        yield sdk


def test_generate_poll_retrieve_download(client: Scenario, scenario_emulator: ScenarioEmulator) -> None:
    image = client.assets.upload(name="first.png", image=base64.b64encode(make_png(1280, 720)).decode())
    body = {**VALID_BODY, "image": image.asset.id, "duration": 4, "seed": 7}

    submitted = client.generate.run_model("model_veo3-1", body=body)
    job = submitted.job
    while job.status not in ("success", "failure", "canceled"):
        time.sleep(0.05)
        job = client.jobs.retrieve(submitted.job.job_id).job
    asset = client.assets.retrieve(job.metadata.asset_ids[0]).asset  # type: ignore[index,union-attr]
    download = client.assets.download.request(asset.id)
    data = httpx.get(download.url).content

    assert image.asset.kind == "image"
    assert submitted.creative_units_cost == 60
    assert job.status == "success"
    assert job.billing is not None
    assert job.billing.cu_cost == 60
    assert asset.kind == "video"
    assert asset.metadata.seed == "7"
    assert asset.properties.size == len(data)
    assert probe_mp4(data).duration == 4
    assert scenario_emulator.paid_submissions == 1


def test_dry_run_answers_269_read_raw(client: Scenario, scenario_emulator: ScenarioEmulator) -> None:
    raw = client.generate.with_raw_response.run_model("model_veo3-1", body=VALID_BODY, dry_run="true")

    assert raw.status_code == 269
    assert raw.http_response.json()["creativeUnitsCost"] == 120
    assert scenario_emulator.paid_submissions == 0


def test_model_and_job_list_parse(client: Scenario) -> None:
    client.generate.run_model("model_veo3-1", body=VALID_BODY)
    client.generate.run_model("model_veo3-1", body=VALID_BODY)

    model = client.models.retrieve("model_veo3-1").model
    jobs = list(client.jobs.list(page_size=1))

    inputs = {item.name: item for item in model.inputs or []}
    assert inputs["duration"].allowed_values == [4, 6, 8]
    assert inputs["generateAudio"].required is not None
    assert inputs["generateAudio"].required.always is True
    assert inputs["resolution"].default == "720p"
    assert len(jobs) == 2


def test_multipart_upload_flow(client: Scenario) -> None:
    png = make_png(64, 64)
    upload = client.uploads.create(
        file_name="frame.png", content_type="image/png", file_size=len(png), parts=1, kind="image"
    ).upload
    assert upload.parts is not None
    httpx.put(upload.parts[0].url, content=png).raise_for_status()

    client.uploads.trigger_action(upload.id, action="complete")
    current = client.uploads.retrieve(upload.id).upload
    while current.status not in ("imported", "failed"):
        time.sleep(0.05)
        current = client.uploads.retrieve(upload.id).upload

    assert current.status == "imported"
    assert current.entity_id is not None
    assert client.assets.retrieve(current.entity_id).asset.properties.size == len(png)


def test_errors_map_to_sdk_exceptions(client: Scenario, scenario_emulator: ScenarioEmulator) -> None:
    job = client.generate.run_model("model_veo3-1", body=VALID_BODY).job

    with pytest.raises(scenario_sdk.BadRequestError) as bad:
        client.generate.run_model("model_veo3-1", body={**VALID_BODY, "duration": 5})
    with pytest.raises(scenario_sdk.BadRequestError) as cancel:
        client.jobs.trigger_action(job.job_id, action="cancel")
    with pytest.raises(scenario_sdk.NotFoundError):
        client.jobs.retrieve("job_missing")

    assert "duration" in bad.value.body["reason"]  # type: ignore[index]
    assert cancel.value.body == {"reason": "Cannot cancel this type of job. Action not permitted."}


def test_rejected_credentials_are_an_authentication_error(
    scenario_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with scenario_emulator_factory(EmulatorConfig(strict_credentials=True)) as emulator:
        monkeypatch.setenv("SCENARIO_BASE_URL", emulator.base_url)
        monkeypatch.setenv("SCENARIO_SDK_API_KEY", emulator.api_key)
        monkeypatch.setenv("SCENARIO_SDK_API_SECRET", emulator.api_secret)
        with Scenario(_strict_response_validation=True, max_retries=0) as sdk:
            job = sdk.generate.run_model("model_veo3-1", body=VALID_BODY).job
            with pytest.raises(scenario_sdk.AuthenticationError):
                sdk.with_options(api_secret="wrong").jobs.retrieve(job.job_id)
