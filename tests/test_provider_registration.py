"""The Airflow CLI of the project's venv lists the provider and the ``scenario`` connection type."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

AIRFLOW = Path(sys.executable).with_name("airflow")
# The suite's temporary AIRFLOW_HOME; without unit-test mode, which logs a line to stdout before the JSON.
_ENV = {name: value for name, value in os.environ.items() if name != "AIRFLOW__CORE__UNIT_TEST_MODE"}


def _airflow_json(*args: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(AIRFLOW), *args, "-o", "json"],
        env=_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Deprecat" not in result.stderr, result.stderr
    payload: list[dict[str, Any]] = json.loads(result.stdout)
    return payload


@pytest.mark.timeout(240)
def test_airflow_cli_lists_the_provider_and_its_connection_type() -> None:
    providers = {p["package_name"]: p for p in _airflow_json("providers", "list")}
    hooks = {h["connection_type"]: h for h in _airflow_json("providers", "hooks")}

    assert "airflow-provider-veo" in providers
    assert hooks["scenario"] == {
        "connection_type": "scenario",
        "class": "airflow_provider_veo.hooks.scenario.ScenarioHook",
        "conn_id_attribute_name": "scenario_conn_id",
        "package_name": "airflow-provider-veo",
        "hook_name": "Scenario",
    }
