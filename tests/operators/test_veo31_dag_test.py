"""The DAG in tests/dags/veo31_generate_deferrable.py, run with dag.test() against the emulator.

dag.test() runs each task through the Task SDK's in-process supervisor and a deferred task's trigger
in line (serialized and rebuilt with serde first), so this covers the real defer -> trigger ->
execute_complete path, XCom, the extra link and the DB-backed task_state_store across retries.
"""

from __future__ import annotations

import importlib

from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

from airflow_provider_veo.testing import EmulatorConfig
from tests.support.logs import captured_logs


def xcoms(dag_run) -> dict[tuple[str, str], object]:
    with create_session() as session:
        rows = session.query(XComModel).filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id).all()
        return {(row.task_id, row.key): XComModel.deserialize_value(row) for row in rows}


def test_deferrable_generation_and_resume_on_retry(airflow_db, scenario_emulator_factory) -> None:
    dag = importlib.import_module("tests.dags.veo31_generate_deferrable").dag
    with (
        scenario_emulator_factory(EmulatorConfig(job_duration=2.0)) as scenario_emulator,
        captured_logs() as logs,
    ):
        dag_run = dag.test()

    assert dag_run.state == "success"
    jobs = [scenario_emulator.job(job_id) for job_id in scenario_emulator.job_ids()]
    by_prompt = {job["metadata"]["input"]["prompt"]: job for job in jobs}
    assert scenario_emulator.paid_submissions == 2  # one per task, none for the retries
    fox, wolf = by_prompt["a fox in the snow, cinematic"], by_prompt["a wolf under the northern lights"]
    values = xcoms(dag_run)

    # generate: deferred, polled by the trigger, completed from the event.
    assert values[("generate", "return_value")] == {
        "job_id": fox["jobId"],
        "status": "success",
        "asset_ids": fox["metadata"]["assetIds"],
        "cost": float(fox["billing"]["cuCost"]),
    }
    assert values[("generate", "job_id")] == fox["jobId"]
    job_page = f"{scenario_emulator.origin}/app/jobs/{fox['jobId']}"  # the emulator's web_url
    assert values[("generate", "_link_ScenarioJobLink")] == job_page
    assert any(m.startswith(f"Scenario job {fox['jobId']}: in-progress") for m in logs.messages())

    # resume_after_timeout: failed at least once after submitting, then resumed the same job.
    ti = dag_run.get_task_instance("resume_after_timeout")
    assert ti.try_number >= 2
    assert values[("resume_after_timeout", "return_value")]["job_id"] == wolf["jobId"]
    assert any(
        f"Job {wolf['jobId']} recorded by an earlier try" in m or f"Resuming job {wolf['jobId']}" in m
        for m in logs.messages()
    )
