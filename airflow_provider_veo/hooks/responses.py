"""Turn an API answer into a typed model, once, at the hook boundary (shared by both hooks).

Every failure is one :class:`ScenarioProtocolError` naming the field and the value received (redacted
of the connection's secrets, then truncated): a body too large, not JSON, without the expected
envelope key, a field of the wrong type or out of range, or an id other than the one asked for.

>>> answer = {"job": {"jobId": "job_1", "status": "queued"}}
>>> parse(Job, answer, "job", method="GET", path="/jobs/job_1").status
<JobStatus.QUEUED: 'queued'>
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final, TypeVar

from pydantic import ValidationError

from airflow_provider_veo.exceptions import ScenarioProtocolError
from airflow_provider_veo.hooks.errors import redact, truncate
from airflow_provider_veo.models.api import ApiModel, Job
from airflow_provider_veo.models.job import JobStatus

M = TypeVar("M", bound=ApiModel)

MAX_JSON_BYTES: Final = 8 * 1024 * 1024
"""Largest JSON answer read (a page of 100 jobs is well under 1 MiB); a larger one is refused unread."""

ERROR_BODY_BYTES: Final = 64 * 1024
"""Most bytes of an error answer read (its reason and hint)."""

_VALUE_CHARS: Final = 200


class BodyTooLarge(Exception):
    """Raised by the hooks' readers once more than :data:`MAX_JSON_BYTES` arrived."""


def protocol_error(
    *, method: str, path: str, field: str, value: Any, problem: str, secrets: Iterable[str] = ()
) -> ScenarioProtocolError:
    """A :class:`ScenarioProtocolError` whose value is shown redacted, then truncated."""
    shown = truncate(redact(repr(value), tuple(secrets)), _VALUE_CHARS)
    return ScenarioProtocolError(method=method, path=path, field=field, value=shown, problem=problem)


def decode_json(body: bytes, *, method: str, path: str, secrets: Iterable[str] = ()) -> Any:
    """The JSON value of a response body (already capped by the reader)."""
    try:
        return json.loads(body)
    except ValueError:
        raise protocol_error(
            method=method, path=path, field="body", value=body[:80], problem="not JSON", secrets=secrets
        ) from None


def too_large(*, method: str, path: str) -> ScenarioProtocolError:
    return ScenarioProtocolError(
        method=method,
        path=path,
        field="body",
        value=f"> {MAX_JSON_BYTES} bytes",
        problem=f"larger than the {MAX_JSON_BYTES // (1024 * 1024)} MiB a JSON answer may have; not read",
    )


def parse(
    model: type[M],
    payload: Any,
    key: str | None,
    *,
    method: str,
    path: str,
    secrets: Iterable[str] = (),
) -> M:
    """Validate ``payload[key]`` (or ``payload`` itself) as ``model``."""
    data = payload
    if key is not None:
        if not isinstance(payload, dict) or payload.get(key) is None:
            raise protocol_error(
                method=method,
                path=path,
                field=key,
                value=payload.get(key) if isinstance(payload, dict) else payload,
                problem=f"the answer has no {key!r} object",
                secrets=secrets,
            )
        data = payload[key]
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        location = ".".join(str(part) for part in first["loc"])
        field = ".".join(part for part in (key, location) if part) or "body"
        raise protocol_error(
            method=method,
            path=path,
            field=field,
            value=first.get("input"),
            problem=first["msg"],
            secrets=secrets,
        ) from None


def check_id(received: str, asked: str, *, field: str, method: str, path: str) -> None:
    """The answer must be about the object asked for (``jobId`` / ``id`` equal to the requested id)."""
    if received != asked:
        raise protocol_error(
            method=method,
            path=path,
            field=field,
            value=received,
            problem=f"must equal the id asked for, {asked!r}",
        )


def parse_job(payload: Any, job_id: str, *, method: str, path: str, secrets: Iterable[str] = ()) -> Job:
    """``{"job": ...}`` about ``job_id``; a success must name at least one asset."""
    job = parse(Job, payload, "job", method=method, path=path, secrets=secrets)
    check_id(job.job_id, job_id, field="job.jobId", method=method, path=path)
    if job.status is JobStatus.SUCCESS and not job.metadata.asset_ids:
        raise protocol_error(
            method=method,
            path=path,
            field="job.metadata.assetIds",
            value=job.metadata.asset_ids,
            problem="a job that succeeded must name at least one asset",
            secrets=secrets,
        )
    return job
