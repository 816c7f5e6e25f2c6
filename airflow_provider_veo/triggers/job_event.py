"""The outcome of waiting on a Scenario job, shared by the trigger, the operator and the sensor.

A :class:`JobEvent` is what :class:`~airflow_provider_veo.triggers.job_complete.JobCompleteTrigger`
yields (as its payload) and what the synchronous wait returns, so the deferrable, the inline
"already terminal" and the blocking paths all end in the same place: :meth:`JobEvent.result`, which
returns a small :class:`JobResult` or raises the exception that matches the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from airflow_provider_veo.exceptions import (
    InvalidTriggerEventError,
    ScenarioJobCanceledError,
    ScenarioJobFailedError,
    ScenarioJobTimeoutError,
    ScenarioWaitError,
    ScenarioWaitRefusedError,
)
from airflow_provider_veo.models.api import ApiId, Job, NonNegativeNumber
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


def format_cost(cost: object) -> str:
    """Creative units for a log line: ``"60"``, or ``"an unreported number of"`` when not a number.

    >>> f"cost {format_cost(None)} creative units"
    'cost an unreported number of creative units'
    """
    if isinstance(cost, bool) or not isinstance(cost, (int, float)):
        return "an unreported number of"
    return f"{cost:g}"


class JobEvent(BaseModel):
    """The outcome of waiting on one job; carries everything ``execute_complete`` needs.

    It is validated both when it is built from a job and when a trigger's payload is read back
    (:func:`validate_job_event`): a ``success`` always names at least one asset.

    >>> JobEvent(status=JobEventStatus.CANCELED, job_id="job_1").to_payload()["status"]
    'canceled'
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    status: JobEventStatus
    job_id: ApiId
    job_status: str | None = None
    asset_ids: tuple[ApiId, ...] = ()
    cost: NonNegativeNumber | None = None
    error: str | None = None
    hint: str | None = None
    message: str | None = None
    #: For ``error``: the wait failed for a reason a retry cannot fix (e.g. 401, 403, 404).
    permanent: bool = False

    @model_validator(mode="after")
    def _success_names_its_assets(self) -> JobEvent:
        if self.status is JobEventStatus.SUCCESS and not self.asset_ids:
            raise ValueError("asset_ids: a success event must name at least one asset")
        return self

    @classmethod
    def from_terminal_job(cls, job: Job) -> JobEvent:
        """The event for a job in a terminal status (``success``, ``failure``, ``canceled``)."""
        if not job.status.is_terminal:
            raise ValueError(f"Scenario job {job.job_id} is not finished (status {job.status.value})")
        return cls(
            status=_EVENT_FOR_JOB_STATUS[job.status],
            job_id=job.job_id,
            job_status=job.status.value,
            asset_ids=tuple(job.metadata.asset_ids),
            cost=job.cost,
            error=job.metadata.error,
            hint=job.metadata.hint,
        )

    def to_payload(self) -> dict[str, Any]:
        """The JSON-safe trigger event payload."""
        payload = self.model_dump(mode="json")
        payload["asset_ids"] = list(self.asset_ids)
        return payload

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
        error_class = ScenarioWaitRefusedError if self.permanent else ScenarioWaitError
        raise error_class(job_id=self.job_id, detail=self.message or "no detail given")


def validate_job_event(event: object) -> JobEvent:
    """Parse a trigger event payload; raise :class:`InvalidTriggerEventError` naming what is wrong.

    Used by every ``execute_complete`` so a lost payload or a version skew never passes as success.
    """
    if event is None:
        raise InvalidTriggerEventError("The trigger returned no event; the job outcome is unknown.")
    if not isinstance(event, Mapping):
        raise InvalidTriggerEventError(f"The trigger event must be a mapping, got {type(event).__name__}.")
    try:
        return JobEvent.model_validate(dict(event))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "event"
        raise InvalidTriggerEventError(
            f"Invalid trigger event: {field}={first.get('input')!r} ({first['msg']})."
        ) from None
