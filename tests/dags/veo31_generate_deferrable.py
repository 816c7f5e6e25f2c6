"""Run by tests/operators/test_veo31_dag_test.py with dag.test() against the Scenario emulator.

``generate`` goes through the real deferral path (the trigger runs in line). ``resume_after_timeout``
gives up waiting after 0.8 s (the test's jobs take 2 s), so its first try fails after the submission;
its retries must resume the recorded job (Airflow's DB-backed task_state_store) instead of paying for
a new one.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from airflow_provider_veo.operators import Veo31GenerateOperator

with DAG(
    dag_id="veo31_generate_deferrable",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    Veo31GenerateOperator(
        task_id="generate",
        prompt="a fox in the snow, cinematic",
        duration=4,
        deferrable=True,
        poll_interval=0.1,
    )
    Veo31GenerateOperator(
        task_id="resume_after_timeout",
        prompt="a wolf under the northern lights",
        duration=4,
        deferrable=True,
        poll_interval=0.1,
        timeout=0.8,
        retries=5,
        retry_delay=timedelta(0),
    )
