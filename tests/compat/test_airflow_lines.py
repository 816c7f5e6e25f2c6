"""What differs between Airflow 3.0, 3.1, 3.2 and 3.3, proven on the installed one (see conftest)."""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

import airflow
import pytest
from airflow.models.variable import Variable as VariableModel
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

from airflow_provider_veo.task_state import VariableTaskStateStore
from airflow_provider_veo.testing import EmulatorConfig, Fault
from airflow_provider_veo.version_compat import AIRFLOW_V_3_1_PLUS, AIRFLOW_V_3_3_PLUS
from tests.support.jobs import submit_job

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"
JOB_ROUTE = "GET /jobs/{jobId}"
pytestmark = pytest.mark.timeout(120)


def compat_dag(dag_id: str) -> Any:
    return getattr(importlib.import_module("tests.compat.dags.compat_dags"), dag_id)


def xcoms(dag_run: Any) -> dict[tuple[str, str], Any]:
    with create_session() as session:
        rows = session.query(XComModel).filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id).all()
        return {(row.task_id, row.key): XComModel.deserialize_value(row) for row in rows}


def provider_variables() -> dict[str, Any]:
    with create_session() as session:
        rows = session.query(VariableModel).filter(VariableModel.key.like("airflow_provider_veo:%")).all()
        return {row.key: json.loads(row.val) for row in rows}


def test_provider_and_connection_form_are_registered() -> None:
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
    from airflow.providers_manager import ProvidersManager

    # What the UI's connection form is built from (provider info on 3.2+, the hook's methods below),
    # from a fresh ProvidersManager, as in the API server (it initializes its hooks once per process).
    ProvidersManager()._cleanup()
    HookMetaService.hook_meta_data.cache_clear()
    try:
        (meta,) = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "scenario"]
        assert "airflow-provider-veo" in ProvidersManager().providers
    finally:
        ProvidersManager()._cleanup()
    assert meta.hook_class_name == "airflow_provider_veo.hooks.scenario.ScenarioHook"
    assert meta.standard_fields.host.title == "API Base URL"
    assert meta.standard_fields.login.title == "API Key"
    assert meta.standard_fields.port.hidden is True
    assert set(meta.extra_fields) == {"project_id", "timeout", "web_url", "allow_insecure_http"}
    assert meta.extra_fields["project_id"]["schema"]["title"] == "Project ID"


def test_example_dags_parse() -> None:
    try:
        from airflow.dag_processing.dagbag import DagBag  # 3.2+
    except ImportError:
        from airflow.models.dagbag import DagBag

    dagbag = DagBag(dag_folder=EXAMPLE_DAGS)
    errors = dict(dagbag.import_errors)
    if not AIRFLOW_V_3_1_PLUS:  # the human-approval example needs the HITL operators of Airflow 3.1+
        review = next(path for path in errors if path.endswith("veo31_draft_review_final.py"))
        assert "hitl" in errors.pop(review)
    assert errors == {}
    assert "veo31_generate_to_storage" in dagbag.dags


def test_deferred_generation_is_stored_locally(airflow_dags, scenario_emulator_factory, tmp_path) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=0.5)) as emulator:
        dag_run = compat_dag("generate_store").test(run_conf={"destination": f"file://{tmp_path}"})

    assert dag_run.state == "success", airflow.__version__
    (job_id,) = emulator.job_ids()
    (asset_id,) = emulator.job(job_id)["metadata"]["assetIds"]
    values = xcoms(dag_run)
    assert values[("generate", "return_value")]["asset_ids"] == [asset_id]
    assert emulator.polls >= 1  # the trigger polled: the task was deferred
    video = (tmp_path / job_id / f"{asset_id}.mp4").read_bytes()
    sidecar = json.loads((tmp_path / job_id / f"{asset_id}.mp4.json").read_text())
    assert sidecar["sha256"] == hashlib.sha256(video).hexdigest()
    assert values[("store", "return_value")] == [f"file://{tmp_path}/{job_id}/{asset_id}.mp4"]


def test_a_retry_resumes_the_job_it_paid_for(airflow_dags, scenario_emulator_factory) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=2.0)) as emulator:
        dag_run = compat_dag("retry").test()

    assert dag_run.state == "success", airflow.__version__
    ti = dag_run.get_task_instance("resume_after_timeout")
    assert ti.try_number >= 2  # the first try timed out after submitting
    assert emulator.paid_submissions == 1
    (job_id,) = emulator.job_ids()
    assert xcoms(dag_run)[("resume_after_timeout", "return_value")]["job_id"] == job_id

    record = VariableTaskStateStore(
        dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index
    ).variable("scenario_veo31_job")
    recorded = provider_variables().get(record)
    if AIRFLOW_V_3_3_PLUS:
        assert recorded is None  # Airflow's own task_state_store holds it
    else:
        assert recorded == {"job_id": job_id, "request_sha256": recorded["request_sha256"]}


def test_deferred_sensor_returns_the_asset_ids(airflow_dags, scenario_emulator_factory) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=0.5)) as emulator:
        job_id = submit_job()
        # The worker's first poke (a request and its quick retry) gets 503s, "not done": it defers.
        emulator.inject(Fault.status(503), route=JOB_ROUTE, times=2)
        dag_run = compat_dag("sensor").test(run_conf={"job_id": job_id})

    assert dag_run.state == "success", airflow.__version__
    assert xcoms(dag_run)[("wait", "return_value")] == emulator.job(job_id)["metadata"]["assetIds"]
    assert emulator.count(JOB_ROUTE) >= 3  # the failed poke, then the trigger's poll
