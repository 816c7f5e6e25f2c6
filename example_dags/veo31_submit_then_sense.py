"""Submit several Veo 3.1 jobs at once, then wait for all of them in the triggerer.

Submitting returns at once (``wait_for_completion=False`` pushes the job id and returns it); the
sensors wait deferrably, so three renders in flight hold no worker slot. Useful to fan out variations
(here: seeds) within Scenario's parallel-jobs limit.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.sensors.scenario_job import ScenarioJobSensor
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

with DAG(
    dag_id="veo31_submit_then_sense",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["veo", "scenario", "example"],
) as dag:
    for seed in (1, 2, 3):
        submit = Veo31GenerateOperator(
            task_id=f"submit_seed_{seed}",
            prompt="A paper boat drifting down a rain-soaked street, macro lens",
            duration=6,
            aspect_ratio="9:16",
            generate_audio=False,
            seed=seed,
            wait_for_completion=False,
        )
        wait = ScenarioJobSensor(
            task_id=f"wait_seed_{seed}",
            job_id=f"{{{{ ti.xcom_pull(task_ids='submit_seed_{seed}', key='job_id') }}}}",
            deferrable=True,
            poke_interval=10,
            timeout=3600,
        )
        store = ScenarioAssetsToStorageOperator(
            task_id=f"store_seed_{seed}",
            asset_ids=f"{{{{ ti.xcom_pull(task_ids='wait_seed_{seed}') }}}}",
            job_id=f"{{{{ ti.xcom_pull(task_ids='submit_seed_{seed}', key='job_id') }}}}",
            destination="file:///tmp/veo-videos/variations",
        )
        submit >> wait >> store
