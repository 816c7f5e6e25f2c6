"""Downstream of every landed video: scheduled on the ``scenario-videos`` asset alias.

``ScenarioAssetsToStorageOperator`` emits one asset event per written object through the alias; this
DAG runs for them and reads each event's ``extra`` (job id, asset id, sha256, size) — e.g. to append
the videos to a training-dataset manifest.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, AssetAlias, task

with DAG(
    dag_id="veo31_dataset_manifest",
    schedule=[AssetAlias("scenario-videos")],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["veo", "scenario", "example"],
):

    @task
    def list_new_videos(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        rows = []
        for asset, events in (triggering_asset_events or {}).items():
            for event in events:
                rows.append({"uri": asset.uri, **event.extra})
        return rows

    list_new_videos()
