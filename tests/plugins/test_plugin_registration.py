"""The plugin is found by Airflow's plugin manager with default settings, and builds its parts."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from fastapi import FastAPI

from airflow_provider_veo.plugins import scenario_veo
from airflow_provider_veo.plugins.scenario_veo import ScenarioVeoPlugin


def test_registered_through_the_airflow_plugins_entry_point() -> None:
    [entry_point] = [e for e in entry_points(group="airflow.plugins") if e.name == "scenario_veo"]
    assert entry_point.load() is ScenarioVeoPlugin


def test_airflow_loads_it_with_default_settings() -> None:
    from airflow import plugins_manager, settings

    assert settings.LAZY_LOAD_PROVIDERS  # the default: provider-info plugins would not load
    plugins, errors = plugins_manager._get_plugins()
    assert "scenario_veo" in [plugin.name for plugin in plugins]
    assert not [error for source, error in errors.items() if "scenario_veo" in str(source)]


def test_the_app_and_the_ui_entries_exist_only_on_the_api_server() -> None:
    assert scenario_veo.running_on_api_server(["/venv/bin/airflow", "api-server", "--port", "8080"])
    assert not scenario_veo.running_on_api_server(["/venv/bin/airflow", "scheduler"])
    assert not scenario_veo.running_on_api_server(["pytest"])
    assert ScenarioVeoPlugin.fastapi_apps == []  # this process is not an api-server

    [app] = scenario_veo.gallery_apps()
    assert app["url_prefix"] == "/scenario-veo"
    assert isinstance(app["app"], FastAPI)


def test_ui_entries_link_under_the_api_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/team-a/")
    nav, run_tab = scenario_veo.gallery_views()
    assert nav["href"] == "/team-a/scenario-veo/"
    assert nav["destination"] == "nav"
    assert run_tab["destination"] == "dag_run"
    assert run_tab["href"] == "/team-a/scenario-veo/?dag_id={DAG_ID}&run_id={RUN_ID}"
    assert nav["url_route"] != run_tab["url_route"]
