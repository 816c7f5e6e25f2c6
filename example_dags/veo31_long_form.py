"""A ~36 s video: an 8 s Veo 3.1 generation, then four 7 s Veo 3.1 Extend steps, stored with its chain.

``draft`` picks the model: Lite (the cheapest) while you iterate on prompts, full Veo 3.1 for the
final (trigger with ``{"model": "model_veo3-1"}``); the same DAG serves both, since ``model_id`` is
templated. ``extend`` continues the clip step by step (8 -> 15 -> 22 -> 29 -> 36 s; each step extends
the previous step's video), deferring between steps, and refuses up front when the estimate of the
whole chain exceeds ``max_creative_units``. A retry resumes at the step where it stopped without
paying again for the earlier ones. ``store`` lands the final video with a sidecar that records the
chain: the source video and each step's prompt, job id and cost.

Extend takes 16:9 sources at 720p or 1080p only: keep ``aspect_ratio="16:9"``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_veo.operators import Veo31ExtendOperator, Veo31GenerateOperator
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

with DAG(
    dag_id="veo31_long_form",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["veo", "scenario", "example"],
    params={
        "model": Param(
            "model_veo3-1-lite",
            enum=["model_veo3-1-lite", "model_veo3-1-fast", "model_veo3-1"],
            description="Lite to draft cheaply, model_veo3-1 for the final.",
        ),
        "destination": Param("file:///tmp/veo-videos", type="string", description="Where videos land."),
    },
):
    generate = Veo31GenerateOperator(
        task_id="generate",
        model_id="{{ params.model }}",
        prompt="A red fox trotting through fresh snow at dawn, cinematic, tracking shot",
        duration=8,
        resolution="720p",
        aspect_ratio="16:9",
        generate_audio=True,
        deferrable=True,
        poll_interval=5.0,
        max_creative_units=500,
    )

    extend = Veo31ExtendOperator(
        task_id="extend",
        source=generate.output,
        prompts=[
            "The fox breaks into a run along the edge of a frozen lake",
            "It reaches a pine forest as the sun rises behind the trees",
            "The fox stops, ears up, listening to the forest",
            "It curls up under a snowy pine and closes its eyes",
        ],
        generate_audio=True,
        deferrable=True,
        poll_interval=5.0,
        timeout=1800.0,
        max_creative_units=1000,
        retries=3,
    )

    ScenarioAssetsToStorageOperator(
        task_id="store",
        asset_ids=extend.output["asset_ids"],
        chain=extend.output["chain"],
        destination="{{ params.destination }}",
        object_name="{{ dag.dag_id }}/{{ run_id }}/{asset_id}.mp4",
    )
