"""The pytest fixtures users get: a shared, reset emulator and a factory; the Airflow connection."""

from __future__ import annotations

import json
import os
from typing import Any

import requests

from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator


def test_fixture_points_scenario_default_at_the_emulator(scenario_emulator: ScenarioEmulator) -> None:
    from airflow.sdk import BaseHook

    connection = BaseHook.get_connection("scenario_default")

    assert json.loads(os.environ["AIRFLOW_CONN_SCENARIO_DEFAULT"])["conn_type"] == "scenario"
    assert connection.host == scenario_emulator.base_url
    assert connection.login == scenario_emulator.api_key
    assert connection.password == scenario_emulator.api_secret
    assert scenario_emulator.config.job_duration == 1.0


def test_fixture_is_reset_between_tests_part_one(scenario_emulator: ScenarioEmulator) -> None:
    scenario_emulator.create_image_asset()
    auth = (scenario_emulator.api_key, scenario_emulator.api_secret)
    requests.get(scenario_emulator.base_url + "/jobs", auth=auth, timeout=10)
    assert scenario_emulator.count("GET /jobs") == 1


def test_fixture_is_reset_between_tests_part_two(scenario_emulator: ScenarioEmulator) -> None:
    assert scenario_emulator.count("GET /jobs") == 0
    assert scenario_emulator.counters()["routes"] == {}


def test_factory_runs_a_custom_emulator_and_repoints_the_connection(
    scenario_emulator_factory: Any,
) -> None:
    with scenario_emulator_factory(EmulatorConfig(api_key="other", job_duration=0.1)) as emu:
        connection = json.loads(os.environ["AIRFLOW_CONN_SCENARIO_DEFAULT"])
        assert connection["host"] == emu.base_url
        assert connection["login"] == "other"
        response = requests.get(
            emu.base_url + "/models/model_veo3-1", auth=("other", emu.api_secret), timeout=10
        )
        assert response.status_code == 200
    assert (
        "AIRFLOW_CONN_SCENARIO_DEFAULT" not in os.environ
        or json.loads(os.environ["AIRFLOW_CONN_SCENARIO_DEFAULT"])["host"] != emu.base_url
    )


def test_airflow_connection_with_project(scenario_emulator: ScenarioEmulator) -> None:
    connection = json.loads(scenario_emulator.airflow_connection(project_id="proj_x"))

    # Job links point at the emulator's own job page.
    assert connection["extra"] == {"web_url": f"{scenario_emulator.origin}/app", "project_id": "proj_x"}


def test_airflow_connection_extras_add_and_override(scenario_emulator: ScenarioEmulator) -> None:
    connection = json.loads(
        scenario_emulator.airflow_connection(extra={"timeout": 2, "web_url": "https://app.example.com"})
    )

    assert connection["extra"] == {"web_url": "https://app.example.com", "timeout": 2}
