"""Helpers for the emulator's own tests: an authenticated HTTP client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator

VALID_BODY: dict[str, Any] = {"prompt": "a fox in the snow", "generateAudio": True}


class Api:
    """``requests`` against one emulator: paths are relative to its ``/v1`` root."""

    def __init__(self, emulator: ScenarioEmulator) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.session.auth = (emulator.api_key, emulator.api_secret)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.emulator.base_url + path, timeout=10, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.emulator.base_url + path, json=json, timeout=10, **kwargs)

    def submit(self, body: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        response = self.post("/generate/custom/model_veo3-1", json=body or VALID_BODY, **kwargs)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()["job"]
        return job

    def wait(self, job_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.get(f"/jobs/{job_id}").json()["job"]
            if job["status"] in ("success", "failure", "canceled") or time.monotonic() > deadline:
                return job
            time.sleep(0.05)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def api(scenario_emulator: ScenarioEmulator) -> Iterator[Api]:
    client = Api(scenario_emulator)
    yield client
    client.close()


@pytest.fixture
def fast_api(scenario_emulator_factory: Any) -> Iterator[Api]:
    """Like ``api``, on an emulator whose jobs finish in 50 ms."""
    with scenario_emulator_factory(EmulatorConfig(job_duration=0.05)) as emulator:
        client = Api(emulator)
        yield client
        client.close()
