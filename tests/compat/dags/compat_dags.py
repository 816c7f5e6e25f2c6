"""The DAGs the compatibility suite (tests/compat) runs with dag.test() on every Airflow line.

``compat_generate_store``: a deferrable generation, then its video stored under the run's
``destination``. ``compat_retry``: gives up waiting after 0.8 s (the suite's jobs take 2 s), so tries
fail after the one submission; later tries must resume that job. ``compat_sensor``: waits, deferred,
on the job given in the run's conf.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_veo.operators import Veo31GenerateOperator
from airflow_provider_veo.sensors import ScenarioJobSensor
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

START = pendulum.datetime(2025, 1, 1, tz="UTC")

with DAG(
    dag_id="compat_generate_store",
    schedule=None,
    start_date=START,
    params={"destination": Param("file:///tmp/compat_generate_store", type="string")},
) as generate_store:
    generate = Veo31GenerateOperator(
        task_id="generate", prompt="a fox in the snow", duration=4, deferrable=True, poll_interval=0.1
    )
    ScenarioAssetsToStorageOperator(
        task_id="store",
        asset_ids="{{ ti.xcom_pull(task_ids='generate')['asset_ids'] }}",
        job_id=generate.output["job_id"],
        destination="{{ params.destination }}",
        object_name="{job_id}/{asset_id}.mp4",
    )

with DAG(dag_id="compat_retry", schedule=None, start_date=START) as retry:
    Veo31GenerateOperator(
        task_id="resume_after_timeout",
        prompt="a wolf under the northern lights",
        duration=4,
        deferrable=True,
        poll_interval=0.1,
        timeout=0.8,
        retries=6,
        retry_delay=timedelta(0),
    )

with DAG(
    dag_id="compat_sensor", schedule=None, start_date=START, params={"job_id": Param("", type="string")}
) as sensor:
    ScenarioJobSensor(
        task_id="wait", job_id="{{ params.job_id }}", deferrable=True, poke_interval=0.1, timeout=60
    )
