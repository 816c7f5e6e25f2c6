"""Decisions of coalesced polling, apart from I/O: what to list next and whom to wake.

One watcher per (connection, project, event loop) lists the recently updated jobs
(``GET /jobs?type=custom&updatedAfter=<cursor>``, pages of 100) once per interval instead of every
trigger reading its own job. :class:`ListingCursor` keeps the ``updatedAfter`` cursor (the newest
``updatedAt`` seen, minus an overlap for clock skew and equal timestamps); :func:`is_news` decides
whether a listed job is worth waking its trigger for.

>>> cursor = ListingCursor(start=parse_timestamp("2026-11-30T10:00:00Z"))
>>> cursor.params()["updatedAfter"]
'2026-11-30T09:59:58.000Z'
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Final

from airflow_provider_veo.models.api import Job, format_timestamp, parse_timestamp

LIST_PAGE_SIZE: Final = 100
MAX_LIST_PAGES: Final = 20
"""Most pages read per listing (2,000 updated jobs per interval); the rest wait for the next one."""
CURSOR_OVERLAP: Final = timedelta(seconds=2)
SILENT_INTERVALS: Final = 10
"""A trigger whose job the watcher has not reported for this many intervals reads it itself (this
bounds how late a completion the listing missed, or one before the trigger started, is seen)."""
JOB_TYPE: Final = "custom"


class Polling(str, Enum):
    """How a :class:`~airflow_provider_veo.triggers.job_complete.JobCompleteTrigger` learns of its job."""

    #: Shared listing calls per (connection, project, triggerer), with per-job safety nets (default).
    COALESCED = "coalesced"
    #: One ``GET /jobs/{id}`` per trigger per interval.
    PER_JOB = "per_job"


class ListingCursor:
    """The ``updatedAfter`` of the next listing; it only moves forward."""

    def __init__(self, *, start: datetime | None, overlap: timedelta = CURSOR_OVERLAP) -> None:
        if start is None:
            raise ValueError("the listing cursor needs a start time with a zone")
        self.after = start
        self.overlap = overlap

    def params(self) -> dict[str, Any]:
        return {
            "type": JOB_TYPE,
            "updatedAfter": format_timestamp(self.after - self.overlap),
            "pageSize": LIST_PAGE_SIZE,
        }

    def advance(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            updated = parse_timestamp(job.updated_at)
            if updated is not None and updated > self.after:
                self.after = updated


def is_news(job: Job, last: tuple[str, int] | None) -> bool:
    """Whether a listed job changed since its trigger last heard of it (status or whole percent)."""
    return last != (job.status.value, job.progress_percent)
