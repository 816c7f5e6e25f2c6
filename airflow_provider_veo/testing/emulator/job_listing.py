"""``GET /jobs``: cursor pagination, filters on status, type, dates, author and project.

Faithful to the SDK's documented rules (``types/job_list_params.py``):

* without ``status``/``type``/``types`` jobs are sorted by creation date (newest first) and
  ``createdAfter`` filters them; ``updatedAfter`` is refused (400) there;
* with any of them jobs are sorted by update date (most recently updated first) and
  ``updatedAfter`` filters them (exclusive); ``createdAfter`` is refused (400) there;
* ``types`` (comma separated) wins over ``type``.

A page scans ``pageSize`` jobs, then filters them, so a page may be short or empty while
``nextPaginationToken`` is still set (as Scenario documents).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any, Final

from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.testing.emulator.clock import iso, parse_iso
from airflow_provider_veo.testing.emulator.errors import ApiError
from airflow_provider_veo.testing.emulator.jobs import JOB_TYPE, JobRecord
from airflow_provider_veo.testing.emulator.ownership import visible_to

MAX_PAGE_SIZE: Final = 100
DEFAULT_PAGE_SIZE: Final = 50


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid {name}={raw!r}: must be an integer") from None
    if not low <= value <= high:
        raise ApiError(400, f"Invalid {name}={value}: must be between {low} and {high}")
    return value


def _date_param(query: Mapping[str, str], name: str) -> float | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        return parse_iso(raw)
    except ValueError:
        raise ApiError(400, f"Invalid {name}={raw!r}: must be an ISO 8601 date") from None


def _encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"jobs:{seq}".encode()).decode().rstrip("=")


def _decode_token(token: str, job_count: int) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, seq = text.split(":")
        value = int(seq)
    except (ValueError, binascii.Error):
        raise ApiError(400, "Invalid paginationToken") from None
    if prefix != "jobs" or not 0 <= value <= job_count:
        raise ApiError(400, "Invalid paginationToken")
    return value


def list_jobs(jobs: Sequence[JobRecord], query: Mapping[str, str], *, now: float) -> dict[str, Any]:
    """The ``GET /jobs`` answer over ``jobs`` (in creation order) for these query parameters.

    Raises :class:`ApiError` (400) for an invalid parameter, combination or pagination token.
    """
    page_size = _int_param(query, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    status_filter = None
    if "status" in query:
        try:
            status_filter = JobStatus.parse(query["status"])
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
    types_text = query.get("types") or query.get("type")
    types = {t for t in types_text.split(",") if t} if types_text else None
    by_update = status_filter is not None or types is not None
    updated_after = _date_param(query, "updatedAfter")
    created_after = _date_param(query, "createdAfter")
    if by_update and created_after is not None:
        raise ApiError(400, "createdAfter is only allowed without status, type and types: use updatedAfter")
    if not by_update and updated_after is not None:
        raise ApiError(400, "updatedAfter is only allowed with status, type or types: use createdAfter")
    project_id = query.get("projectId")
    author_id = query.get("authorId")
    ordered = list(jobs)
    if by_update:
        ordered.sort(key=lambda job: (job.history(now)[-1][1], job.seq))
    start = len(ordered) - 1
    token = query.get("paginationToken")
    if token is not None:
        start = _decode_token(token, len(ordered)) - 1
    stop = max(start - page_size, -1)
    page = []
    for job in (ordered[i] for i in range(start, stop, -1)):
        if not visible_to(job.owner_id, project_id):
            continue
        if author_id is not None and job.author_id != author_id:
            continue
        if types is not None and JOB_TYPE not in types:
            continue
        # Compare the dates as the API shows them (millisecond precision).
        if created_after is not None and parse_iso(iso(job.created_at)) <= created_after:
            continue
        history = job.history(now)
        if updated_after is not None and parse_iso(iso(history[-1][1])) <= updated_after:
            continue
        if status_filter is not None and history[-1][0] is not status_filter:
            continue
        page.append(job.to_json(now))
    result: dict[str, Any] = {"jobs": page}
    if stop >= 0:
        result["nextPaginationToken"] = _encode_token(stop + 1)
    return result
