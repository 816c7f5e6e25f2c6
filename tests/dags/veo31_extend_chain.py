"""Run by tests/operators/test_veo31_extend_dag_test.py with dag.test() against the Scenario emulator.

``generate`` renders 8 s; ``extend`` lengthens it in 4 deferred steps. Each step's wait gives up after
0.6 s while the test's jobs take 1 s, so the chain fails mid-step and its retries must resume the
recorded step instead of paying again. ``store`` lands the final video with the chain in its sidecar.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_veo.operators import Veo31ExtendOperator, Veo31GenerateOperator
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

with DAG(
    dag_id="veo31_extend_chain",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"destination": Param("file:///tmp/veo31_extend_chain", type="string")},
) as dag:
    generate = Veo31GenerateOperator(
        task_id="generate", prompt="a fox in the snow", duration=8, deferrable=True, poll_interval=0.1
    )
    extend = Veo31ExtendOperator(
        task_id="extend",
        source=generate.output,
        prompts=["the fox runs on", "it reaches the forest", "night falls", "it sleeps"],
        max_creative_units=1000,
        deferrable=True,
        poll_interval=0.1,
        timeout=0.6,
        retries=12,
        retry_delay=timedelta(0),
    )
    ScenarioAssetsToStorageOperator(
        task_id="store",
        asset_ids=extend.output["asset_ids"],
        chain=extend.output["chain"],
        destination="{{ params.destination }}",
        object_name="{{ dag.dag_id }}/{asset_id}.mp4",
    )
