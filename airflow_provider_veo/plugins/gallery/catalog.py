"""What Airflow recorded about landed videos, read from its metadata database (api-server only).

The list is made of the asset events the transfer emitted on its alias (``scenario-videos`` by
default): the newest event per video URI, restricted to the DAGs the user may read. A URI asked for
by a request is only ever looked up here, by equality; the storage sees the recorded value.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from airflow.models.asset import AssetAliasModel, AssetEvent, AssetModel
from airflow.models.renderedtifields import RenderedTaskInstanceFields as Rendered
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session
from sqlalchemy import Select, func, select

from airflow_provider_veo.links.scenario_job import JOB_URL_XCOM_KEY
from airflow_provider_veo.plugins.gallery.entries import GalleryFilter, RecordedVideo


def recorded_videos(
    flt: GalleryFilter, *, readable_dag_ids: Collection[str], aliases: Collection[str]
) -> list[RecordedVideo]:
    """The page of videos matching ``flt``, newest first."""
    if not readable_dag_ids:
        return []
    newest = _newest_events(readable_dag_ids, aliases)
    if flt.dag_id:
        newest = newest.where(AssetEvent.source_dag_id == flt.dag_id)
    if flt.run_id:
        newest = newest.where(AssetEvent.source_run_id == flt.run_id)
    if flt.since is not None:
        newest = newest.where(AssetEvent.timestamp >= flt.since)
    if flt.before is not None:
        newest = newest.where(AssetEvent.timestamp < flt.before)
    return _load(newest, limit=flt.limit, offset=flt.offset)


def recorded_video(
    uri: str, *, readable_dag_ids: Collection[str], aliases: Collection[str]
) -> RecordedVideo | None:
    """The video recorded under exactly ``uri`` in a readable DAG, else ``None``."""
    if not readable_dag_ids:
        return None
    found = _load(_newest_events(readable_dag_ids, aliases).where(AssetModel.uri == uri), limit=1)
    return found[0] if found else None


def job_urls(dag_id: str, run_id: str | None) -> list[str]:
    """The Scenario job links the run's tasks pushed (XCom ``job_url``, computed from the connection)."""
    if not run_id:
        return []
    stmt = select(XComModel.value).where(
        XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key == JOB_URL_XCOM_KEY
    )
    with create_session() as session:
        return [value for value in session.scalars(stmt) if isinstance(value, str)]


def rendered_fields(video: RecordedVideo) -> dict[str, Any]:
    """The rendered template fields of the task that landed ``video`` (Airflow keeps the last runs')."""
    if not video.run_id or not video.task_id:
        return {}
    stmt = select(Rendered.rendered_fields).where(
        Rendered.dag_id == video.dag_id,
        Rendered.task_id == video.task_id,
        Rendered.run_id == video.run_id,
        Rendered.map_index == video.map_index,
    )
    with create_session() as session:
        fields = session.scalar(stmt)
    return fields if isinstance(fields, dict) else {}


def _newest_events(readable_dag_ids: Collection[str], aliases: Collection[str]) -> Select[Any]:
    """Ids of the newest alias event per asset, in readable DAGs (filters are added by the caller)."""
    return (
        select(func.max(AssetEvent.id))
        .join(AssetEvent.source_aliases)
        .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
        .where(AssetAliasModel.name.in_(list(aliases)))
        .where(AssetEvent.source_dag_id.in_(list(readable_dag_ids)))
        .group_by(AssetEvent.asset_id)
    )


def _load(event_ids: Select[Any], *, limit: int, offset: int = 0) -> list[RecordedVideo]:
    stmt = (
        select(AssetEvent, AssetModel.uri)
        .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
        .where(AssetEvent.id.in_(event_ids))
        .order_by(AssetEvent.timestamp.desc(), AssetEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with create_session() as session:
        return [
            RecordedVideo(
                event_id=event.id,
                uri=uri,
                timestamp=event.timestamp,
                dag_id=event.source_dag_id or "",
                run_id=event.source_run_id,
                task_id=event.source_task_id,
                map_index=event.source_map_index if event.source_map_index is not None else -1,
                extra=dict(event.extra or {}),
            )
            for event, uri in session.execute(stmt)
        ]
