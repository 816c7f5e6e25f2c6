"""The outcome of waiting on a Scenario job, shared by the trigger, the operator and the sensor.

A :class:`JobEvent` is what :class:`~airflow_provider_veo.triggers.job_complete.JobCompleteTrigger`
yields (as its payload) and what the synchronous wait returns, so the deferrable, the inline
"already terminal" and the blocking paths all end in the same place: :meth:`JobEvent.result`, which
returns a small :class:`JobResult` or raises the exception that matches the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypedDict

from airflow_provider_veo.exceptions import (
    InvalidTriggerEventError,
    ScenarioError,
    ScenarioJobCanceledError,
    ScenarioJobFailedError,
    ScenarioJobTimeoutError,
)
from airflow_provider_veo.models.job import JobStatus


class JobEventStatus(str, Enum):
    """How the wait on a job ended; the ``status`` key of a trigger event."""

    SUCCESS = "success"
    FAILURE = "failure"
    CANCELED = "canceled"
    TIMEOUT = "timeout"
    ERROR = "error"


_EVENT_FOR_JOB_STATUS = {
    JobStatus.SUCCESS: JobEventStatus.SUCCESS,
    JobStatus.FAILURE: JobEventStatus.FAILURE,
    JobStatus.CANCELED: JobEventStatus.CANCELED,
}


class JobResult(TypedDict):
    """What a finished job returns to XCom: ids and numbers only, never a (signed) URL."""

    job_id: str
    status: str
    asset_ids: list[str]
    cost: float | None


def job_status(job: Mapping[str, Any]) -> JobStatus:
    """The status of a job object; ``ValueError`` for a status this provider does not know."""
    return JobStatus.parse(str(job.get("status")))


def job_progress_percent(job: Mapping[str, Any]) -> int:
    """The job's ``progress`` (0..1) as a whole percentage; 0 when the API does not say."""
    progress = job.get("progress")
    if isinstance(progress, bool) or not isinstance(progress, (int, float)):
        return 0
    return round(min(max(float(progress), 0.0), 1.0) * 100)


def format_cost(cost: object) -> str:
    """Creative units for a log line: ``"60"``, or ``"an unreported number of"`` when not a number.

    >>> f"cost {format_cost(None)} creative units"
    'cost an unreported number of creative units'
    """
    if isinstance(cost, bool) or not isinstance(cost, (int, float)):
        return "an unreported number of"
    return f"{cost:g}"


def job_cost(job: Mapping[str, Any]) -> float | None:
    """Creative units billed for the job (``billing.cuCost``), or ``None`` when not reported."""
    billing = job.get("billing")
    cost = billing.get("cuCost") if isinstance(billing, Mapping) else None
    if isinstance(cost, bool) or not isinstance(cost, (int, float)):
        return None
    return float(cost)


@dataclass(frozen=True)
class JobEvent:
    """The outcome of waiting on one job; carries everything ``execute_complete`` needs.

    >>> JobEvent(status=JobEventStatus.CANCELED, job_id="job_1").to_payload()["status"]
    'canceled'
    """

    status: JobEventStatus
    job_id: str
    job_status: str | None = None
    asset_ids: tuple[str, ...] = ()
    cost: float | None = None
    error: str | None = None
    hint: str | None = None
    message: str | None = None

    @classmethod
    def from_terminal_job(cls, job: Mapping[str, Any], *, job_id: str) -> JobEvent:
        """The event for a job object in a terminal status (``success``, ``failure``, ``canceled``).

        ``job_id`` is the id the caller asked for: the event never depends on the answer echoing it.
        """
        status = job_status(job)
        if not status.is_terminal:
            raise ValueError(f"Scenario job {job_id} is not finished (status {status.value})")
        metadata = job.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        return cls(
            status=_EVENT_FOR_JOB_STATUS[status],
            job_id=job_id,
            job_status=status.value,
            asset_ids=tuple(str(asset_id) for asset_id in metadata.get("assetIds") or ()),
            cost=job_cost(job),
            error=_optional_str(metadata.get("error")),
            hint=_optional_str(metadata.get("hint")),
        )

    def to_payload(self) -> dict[str, Any]:
        """The JSON-safe trigger event payload."""
        return {
            "status": self.status.value,
            "job_id": self.job_id,
            "job_status": self.job_status,
            "asset_ids": list(self.asset_ids),
            "cost": self.cost,
            "error": self.error,
            "hint": self.hint,
            "message": self.message,
        }

    def result(self) -> JobResult:
        """Return the small result of a successful job; raise the matching exception otherwise."""
        if self.status is JobEventStatus.SUCCESS:
            return JobResult(
                job_id=self.job_id,
                status=JobStatus.SUCCESS.value,
                asset_ids=list(self.asset_ids),
                cost=self.cost,
            )
        if self.status is JobEventStatus.FAILURE:
            raise ScenarioJobFailedError(job_id=self.job_id, error=self.error, hint=self.hint)
        if self.status is JobEventStatus.CANCELED:
            raise ScenarioJobCanceledError(job_id=self.job_id)
        if self.status is JobEventStatus.TIMEOUT:
            raise ScenarioJobTimeoutError(job_id=self.job_id, status=self.job_status or "unknown")
        raise ScenarioError(
            f"Waiting on Scenario job {self.job_id} failed: {self.message or 'no detail given'}. "
            "The job itself may still be running; a retry of this task resumes it."
        )


def validate_job_event(event: object) -> JobEvent:
    """Parse a trigger event payload; raise :class:`InvalidTriggerEventError` if it is missing or unknown.

    Used by every ``execute_complete`` so a lost payload or a version skew never passes as success.
    """
    if event is None:
        raise InvalidTriggerEventError("The trigger returned no event; the job outcome is unknown.")
    if not isinstance(event, Mapping):
        raise InvalidTriggerEventError(f"The trigger event must be a mapping, got {type(event).__name__}.")
    raw_status = event.get("status")
    try:
        status = JobEventStatus(raw_status)
    except ValueError:
        known = ", ".join(s.value for s in JobEventStatus)
        raise InvalidTriggerEventError(
            f"Unknown trigger event status {raw_status!r}; known statuses: {known}."
        ) from None
    job_id = event.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise InvalidTriggerEventError(f"The trigger event has no job_id: {dict(event)!r}.")
    asset_ids = event.get("asset_ids") or []
    if not isinstance(asset_ids, (list, tuple)) or not all(isinstance(a, str) for a in asset_ids):
        raise InvalidTriggerEventError(f"The trigger event's asset_ids is not a list of ids: {asset_ids!r}.")
    cost = event.get("cost")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float))):
        raise InvalidTriggerEventError(f"The trigger event's cost is not a number: {cost!r}.")
    return JobEvent(
        status=status,
        job_id=job_id,
        job_status=_optional_str(event.get("job_status")),
        asset_ids=tuple(asset_ids),
        cost=None if cost is None else float(cost),
        error=_optional_str(event.get("error")),
        hint=_optional_str(event.get("hint")),
        message=_optional_str(event.get("message")),
    )


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
