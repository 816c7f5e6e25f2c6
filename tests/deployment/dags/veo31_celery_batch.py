"""A mapped batch for CeleryExecutor: one generation per image in object storage, then a mapped store.

The images are object-storage URIs (``<image_prefix>frame-00.png`` ... ``frame-19.png``, e.g.
``s3://conn@bucket/images/``): Celery workers share no filesystem.
``generate`` defers to the triggerers while the jobs render; ``store`` copies each job's video to
``destination``.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

BATCH = 20


def job_id_of(result: dict[str, Any]) -> str:
    return str(result["job_id"])


with DAG(
    dag_id="veo31_celery_batch",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "image_prefix": Param("s3://aws_default@bucket/images/", type="string"),
        "destination": Param("file:///tmp/veo-batch", type="string"),
    },
):
    generate = Veo31GenerateOperator.partial(
        task_id="generate",
        prompt="The scene comes alive, slow dolly-in",
        duration=4,
        resolution="720p",
        generate_audio=False,
        deferrable=True,
        poll_interval=2.0,
        timeout=600.0,
    ).expand(image=[f"{{{{ params.image_prefix }}}}frame-{index:02d}.png" for index in range(BATCH)])

    ScenarioAssetsToStorageOperator.partial(
        task_id="store", destination="{{ params.destination }}", asset_alias=None
    ).expand(job_id=generate.output.map(job_id_of))
