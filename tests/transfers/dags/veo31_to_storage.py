"""Run by tests/transfers/test_dag_test.py with dag.test(): generate a video, then store it.

The destination comes from the run's conf, so each test run writes to its own folder.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_veo.operators import Veo31GenerateOperator
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

with DAG(
    dag_id="veo31_to_storage",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"destination": Param("file:///tmp/veo31_to_storage", type="string")},
) as dag:
    generate = Veo31GenerateOperator(
        task_id="generate", prompt="a fox in the snow", duration=4, deferrable=True, poll_interval=0.1
    )
    ScenarioAssetsToStorageOperator(
        task_id="store",
        asset_ids="{{ ti.xcom_pull(task_ids='generate')['asset_ids'] }}",  # renders "['asset_...']"
        job_id=generate.output["job_id"],  # the XCom key the generate operator pushes
        destination="{{ params.destination }}",
        object_name="{{ dag.dag_id }}/{job_id}/{asset_id}.mp4",
    )
