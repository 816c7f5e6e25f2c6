"""What the generate operator records between tries, and the decisions it makes on it (no I/O here).

The record lives in the task instance's state store under one key. It holds the fingerprint of the
request and either the job id (the submission succeeded) or the **attempt** in flight: who sent it
(``owner``, unique per run of ``execute``), when, and the API body. From it:

* :func:`attempt_state` tells a second try running at the same time (a zombie beside its
  replacement) to wait for the first one's outcome instead of paying again;
* :func:`match_submission` finds, among listed jobs, the one an attempt whose outcome was unknown
  created: only jobs created inside the attempt's window (both bounds enforced here, whatever the
  server's ``createdAfter`` filter did) whose input holds every field of the body.

>>> record = JobRecord(request_sha256="f00", job_id="job_1")
>>> JobRecord.from_store(record.to_store()) == record
True
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from airflow_provider_veo.models.api import ApiId, Job, format_timestamp, parse_timestamp


class Attempt(BaseModel):
    """A paid submission in flight (or whose outcome was unknown)."""

    model_config = ConfigDict(frozen=True)

    owner: str
    started_at: str
    body: dict[str, Any]
    outcome_unknown: bool = False

    @property
    def started(self) -> datetime | None:
        return parse_timestamp(self.started_at)


class JobRecord(BaseModel):
    """The state-store value: the request's fingerprint, then the job id or the attempt in flight."""

    model_config = ConfigDict(frozen=True)

    request_sha256: str
    job_id: ApiId | None = None
    attempt: Attempt | None = None

    @classmethod
    def from_store(cls, value: Any) -> JobRecord | None:
        """The record, or ``None`` when nothing (readable) is stored."""
        if value is None:
            return None
        try:
            return cls.model_validate(value)
        except ValidationError:
            return None

    def to_store(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def new_owner() -> str:
    """A name for this run of ``execute`` that no other run (another try, host or process) shares."""
    return f"{socket.gethostname()}:{uuid.uuid4().hex}"


def start_attempt(fingerprint: str, body: Mapping[str, Any], *, owner: str, now: datetime) -> JobRecord:
    return JobRecord(
        request_sha256=fingerprint,
        attempt=Attempt(owner=owner, started_at=format_timestamp(now), body=dict(body)),
    )


class AttemptState(str, Enum):
    """What a try should do about an attempt recorded by someone else."""

    IN_FLIGHT = "in_flight"  # another try is submitting right now: wait for its outcome
    UNKNOWN = "unknown"  # it ended without an answer (or its owner died): look for its job


def attempt_state(attempt: Attempt, *, owner: str, now: datetime, window: timedelta) -> AttemptState:
    """Whether ``attempt`` may still be answered (then wait for it) or is over without an outcome.

    An attempt by this very run, one marked ``outcome_unknown``, one without a readable time, or one
    older than ``window`` (its request cannot still be running) is over.
    """
    started = attempt.started
    if attempt.owner == owner or attempt.outcome_unknown or started is None:
        return AttemptState.UNKNOWN
    return AttemptState.IN_FLIGHT if now - started < window else AttemptState.UNKNOWN


@dataclass(frozen=True)
class SubmissionMatch:
    """The jobs an unknown attempt may have created: ``matches`` are dated inside the window,
    ``undated`` have the attempt's input but no usable ``createdAt`` (absent, naive, unparsable)."""

    matches: tuple[str, ...]
    undated: tuple[str, ...]


def submission_window(
    attempt: Attempt, *, request_timeout: float, tolerance: timedelta
) -> tuple[datetime, datetime]:
    """From ``tolerance`` before the attempt to the end of its request timeout plus ``tolerance``."""
    started = attempt.started
    if started is None:
        raise ValueError(f"the attempt's time {attempt.started_at!r} is not a timestamp with a zone")
    return started - tolerance, started + timedelta(seconds=request_timeout) + tolerance


def match_submission(
    jobs: Iterable[Job], body: Mapping[str, Any], window: tuple[datetime, datetime]
) -> SubmissionMatch:
    """Jobs (newest first) whose input holds every field of ``body``, inside ``window``.

    Scanning stops at the first job dated before the window (the listing is newest first).
    """
    start, end = window
    matches: list[str] = []
    undated: list[str] = []
    for job in jobs:
        created = job.created
        if created is not None and created < start:
            break
        job_input = job.metadata.input or {}
        if not all(key in job_input and job_input[key] == value for key, value in body.items()):
            continue
        if created is None:
            undated.append(job.job_id)
        elif created <= end:
            matches.append(job.job_id)
    return SubmissionMatch(matches=tuple(matches), undated=tuple(undated))
