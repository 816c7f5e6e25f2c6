"""Generate a Veo 3.1 video and land it, with its provenance sidecar, in your object storage.

The main example: ``make demo`` runs it on a local Airflow against the bundled Scenario emulator.
``generate`` submits one paid job and defers to the triggerer while Veo renders (no worker slot is
held); ``store`` streams the video to ``destination`` (``s3://``, ``gs://``, ``abfs://`` or
``file://``) with a JSON sidecar, and emits an asset event on the ``scenario-videos`` alias.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

with DAG(
    dag_id="veo31_generate_to_storage",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["veo", "scenario", "example"],
    params={
        "prompt": Param(
            "A red fox trotting through fresh snow at dawn, cinematic, shallow depth of field",
            type="string",
        ),
        "destination": Param("file:///tmp/veo-videos", type="string", description="Where videos land."),
    },
) as dag:
    generate = Veo31GenerateOperator(
        task_id="generate",
        prompt="{{ params.prompt }}",
        negative_prompt="blurry, low quality, watermark",
        duration=8,
        resolution="1080p",
        aspect_ratio="16:9",
        generate_audio=True,
        seed=42,
        deferrable=True,
        poll_interval=2.0,
        timeout=1800.0,
        max_creative_units=500,
    )

    store = ScenarioAssetsToStorageOperator(
        task_id="store",
        job_id="{{ ti.xcom_pull(task_ids='generate', key='job_id') }}",
        destination="{{ params.destination }}",
    )

    generate >> store
