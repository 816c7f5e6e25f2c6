"""What the gallery shows: its filters and one entry per landed video, built apart from any I/O.

An entry joins what Airflow recorded (the asset event: URI, DAG, run, task, job and asset ids,
sha256, size) with the JSON sidecar the transfer wrote next to the video (prompt, seed, model,
parameters, duration, cost). The event alone is enough to list, authorize and stream a video; the
sidecar only adds to it, so a store the api-server cannot read still shows the event's facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Final
from urllib.parse import quote, urlencode

DEFAULT_LIMIT: Final = 24
MAX_LIMIT: Final = 100


@dataclass(frozen=True)
class GalleryFilter:
    """The query of the gallery page: DAG, run, day range (UTC, both included), page.

    >>> GalleryFilter(date_from=date(2026, 1, 2)).since
    datetime.datetime(2026, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)
    """

    dag_id: str | None = None
    run_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @property
    def since(self) -> datetime | None:
        return datetime.combine(self.date_from, time.min, timezone.utc) if self.date_from else None

    @property
    def before(self) -> datetime | None:
        """Exclusive upper bound: the start of the day after ``date_to``."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time.min, timezone.utc)

    def query(self, **changes: Any) -> str:
        """This filter as a query string, with ``changes`` applied (for the page's links)."""
        values = {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "limit": self.limit if self.limit != DEFAULT_LIMIT else None,
            "offset": self.offset,
        }
        values.update(changes)
        return urlencode({key: value for key, value in values.items() if value not in (None, "", 0)})


@dataclass(frozen=True)
class RecordedVideo:
    """One video as Airflow recorded it: the newest asset event for its URI."""

    event_id: int
    uri: str
    timestamp: datetime
    dag_id: str
    run_id: str | None
    task_id: str | None
    map_index: int
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def job_id(self) -> str | None:
        value = self.extra.get("job_id")
        return str(value) if value else None


@dataclass(frozen=True)
class VideoEntry:
    """One card of the gallery."""

    video: RecordedVideo
    sidecar: Mapping[str, Any] | None
    sidecar_problem: str | None
    job_url: str | None
    task_instance_url: str | None
    stream_url: str

    def fact(self, key: str) -> Any:
        """A field Airflow recorded in the asset event, else the sidecar's (an object anyone with
        write access to the bucket could change)."""
        if self.video.extra.get(key) is not None:
            return self.video.extra[key]
        return (self.sidecar or {}).get(key)

    def to_json(self) -> dict[str, Any]:
        sidecar = self.sidecar or {}
        return {
            "uri": self.video.uri,
            "timestamp": self.video.timestamp.isoformat(),
            "dag_id": self.video.dag_id,
            "run_id": self.video.run_id,
            "task_id": self.video.task_id,
            "map_index": self.video.map_index,
            "job_id": self.video.job_id,
            "asset_id": self.fact("asset_id"),
            "sha256": self.fact("sha256"),
            "size": self.fact("size"),
            "written": self.video.extra.get("written"),
            "prompt": sidecar.get("prompt"),
            "negative_prompt": sidecar.get("negative_prompt"),
            "seed": sidecar.get("seed"),
            "model_id": sidecar.get("model_id"),
            "parameters": sidecar.get("parameters"),
            "duration": sidecar.get("duration"),
            "cost": sidecar.get("cost"),
            "width": sidecar.get("width"),
            "height": sidecar.get("height"),
            "mime_type": sidecar.get("mime_type"),
            "metadata_problem": self.sidecar_problem,
            "job_url": self.job_url,
            "task_instance_url": self.task_instance_url,
            "stream_url": self.stream_url,
        }


def task_instance_url(base_path: str, video: RecordedVideo) -> str | None:
    """The task instance page in the Airflow 3 UI, or ``None`` when the event names no task.

    >>> video = RecordedVideo(1, "file:///v.mp4", datetime(2026, 1, 1), "d", "manual__1", "store", -1)
    >>> task_instance_url("/airflow", video)
    '/airflow/dags/d/runs/manual__1/tasks/store'
    """
    if not video.run_id or not video.task_id:
        return None
    dag, run, task = (quote(value, safe="") for value in (video.dag_id, video.run_id, video.task_id))
    url = f"{base_path}/dags/{dag}/runs/{run}/tasks/{task}"
    return f"{url}/mapped/{video.map_index}" if video.map_index >= 0 else url


def stream_url(video: RecordedVideo) -> str:
    """The plugin's URL for the bytes of ``video``, relative to the gallery page."""
    return "video?" + urlencode({"uri": video.uri})


def pick_job_url(job_id: str | None, candidates: list[str]) -> str | None:
    """The job link the generating task pushed (XCom ``job_url``) for ``job_id``, among a run's links.

    >>> pick_job_url("job_2", ["https://app/jobs/job_1", "https://app/jobs/job_2"])
    'https://app/jobs/job_2'
    """
    if not job_id:
        return None
    suffix = "/" + quote(job_id, safe="")
    return next((url for url in candidates if url.rstrip("/").endswith(suffix)), None)
