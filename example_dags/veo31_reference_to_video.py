"""Reference-to-video: keep a character consistent across shots with 1-3 reference images.

Reference images may be Scenario asset ids or files in your storage (local paths or object-storage
URIs such as ``s3://aws_default@bucket/refs/hero.png``): the operator uploads them first. With
reference images Veo 3.1 renders 8 s at 16:9 only; the operator refuses anything else when the DAG is
parsed, before any paid request.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

with DAG(
    dag_id="veo31_reference_to_video",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["veo", "scenario", "example"],
    params={
        "character": Param("s3://aws_default@my-bucket/references/hero.png", type="string"),
        "outfit": Param("s3://aws_default@my-bucket/references/outfit.png", type="string"),
    },
):
    generate = Veo31GenerateOperator(
        task_id="generate",
        prompt="The hero walks through a neon-lit market at night, handheld camera",
        reference_images=["{{ params.character }}", "{{ params.outfit }}"],
        reference_images_type="ASSET",
        duration=8,
        resolution="1080p",
        deferrable=True,
        max_creative_units=400,
    )
    store = ScenarioAssetsToStorageOperator(
        task_id="store",
        job_id=generate.output["job_id"],
        destination="s3://aws_default@my-bucket/videos/",
    )
    generate >> store
