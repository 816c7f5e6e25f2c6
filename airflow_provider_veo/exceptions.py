"""Exceptions raised by the Scenario / Veo 3.1 provider.

Every class says what went wrong; none of them ever carries credentials. API errors keep the HTTP
status and the API's own ``reason`` / ``hint`` so callers can branch on the class, never on text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airflow_provider_veo._compat import AirflowException


class ScenarioError(AirflowException):
    """Base class of every error raised by this provider."""


class ScenarioConfigurationError(ScenarioError):
    """The connection or the environment does not configure what the provider needs."""


class InvalidParameterError(ScenarioError, ValueError):
    """A Veo 3.1 parameter is invalid; raised before any HTTP request is made."""

    def __init__(self, parameter: str, value: Any, allowed: str) -> None:
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        super().__init__(f"Invalid {parameter}={value!r}: {allowed}")


# --- HTTP errors returned by the API ---------------------------------------------------------------


class ScenarioAPIError(ScenarioError):
    """The Scenario API answered with an error status."""

    def __init__(
        self,
        *,
        status_code: int,
        reason: str,
        method: str,
        path: str,
        hint: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        # AirflowException declares an HTTPStatus; the API may answer codes HTTPStatus does not know.
        self.status_code = status_code  # type: ignore[assignment]
        self.reason = reason
        self.method = method
        self.path = path
        self.hint = hint
        self.details = details or {}
        message = f"{method} {path} -> HTTP {status_code}: {reason}"
        if hint:
            message += f" (hint: {hint})"
        super().__init__(message)


class ScenarioAuthenticationError(ScenarioAPIError):
    """HTTP 401: the API key / secret were rejected."""


class ScenarioPermissionError(ScenarioAPIError):
    """HTTP 403: the credentials are valid but the plan or project does not allow this (e.g. the model)."""


class ScenarioNotFoundError(ScenarioAPIError):
    """HTTP 404: the job, asset or model does not exist (or belongs to another project)."""


class ScenarioInvalidRequestError(ScenarioAPIError):
    """HTTP 400/409/422: the API refused the request; ``reason`` and ``hint`` say why."""


class ScenarioRateLimitError(ScenarioAPIError):
    """HTTP 429: a rate or concurrency limit was hit; ``retry_after`` and ``details`` say which."""

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after = retry_after

    @property
    def action_name(self) -> str | None:
        value = self.details.get("actionName")
        return str(value) if value is not None else None

    @property
    def action_limit(self) -> int | None:
        value = self.details.get("actionLimit")
        return int(value) if value is not None else None


class ScenarioServerError(ScenarioAPIError):
    """HTTP 5xx: the API failed on its side."""


class ScenarioTransportError(ScenarioError):
    """The API could not be reached (connection refused or reset, timeout) after the allowed retries."""


class SubmissionOutcomeUnknownError(ScenarioError):
    """A paid submission was sent but its outcome is unknown: a job (and its cost) may exist.

    Raised instead of retrying a ``POST /generate`` after a timeout, a dropped connection or a 5xx
    once the request reached the server. Check the project's recent jobs before submitting again.
    """

    def __init__(self, *, model_id: str, cause: str) -> None:
        self.model_id = model_id
        self.cause = cause
        super().__init__(
            f"The outcome of the submission to {model_id} is unknown ({cause}). A job may have been created "
            "and billed: it was not retried automatically. Look for it with ScenarioHook.list_jobs() or in "
            "the Scenario app before submitting again."
        )


class AmbiguousSubmissionError(ScenarioError):
    """Several jobs match a submission whose outcome was unknown; the task cannot tell which is its own."""

    def __init__(self, *, job_ids: list[str], key: str) -> None:
        self.job_ids = job_ids
        super().__init__(
            f"A submission of this task had an unknown outcome, and {len(job_ids)} jobs created at that "
            f"time match its request: {', '.join(job_ids)}. To avoid taking another task's job or paying "
            f"twice, nothing was resumed or submitted. Record the right job id under the task state key "
            f"{key!r} (or delete that key to submit anew) and retry."
        )


# --- Job outcomes ------------------------------------------------------------------------------------


class ScenarioJobError(ScenarioError):
    """A generation job ended without producing its result."""

    def __init__(self, message: str, *, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(message)


class ScenarioJobFailedError(ScenarioJobError):
    """The job ended with status ``failure``; ``error`` and ``hint`` are the API's."""

    def __init__(self, *, job_id: str, error: str | None, hint: str | None) -> None:
        self.error = error
        self.hint = hint
        message = f"Scenario job {job_id} failed: {error or 'no error message given'}"
        if hint:
            message += f" (hint: {hint})"
        super().__init__(message, job_id=job_id)


class ScenarioJobCanceledError(ScenarioJobError):
    """The job ended with status ``canceled``."""

    def __init__(self, *, job_id: str) -> None:
        super().__init__(f"Scenario job {job_id} was canceled", job_id=job_id)


class ScenarioJobTimeoutError(ScenarioJobError):
    """The job was still running at the deadline; it goes on running (and is billed) on Scenario's side."""

    def __init__(self, *, job_id: str, status: str, timeout: float | None = None) -> None:
        self.status = status
        what = f"within {timeout:g} s" if timeout is not None else "before the deadline"
        super().__init__(
            f"Scenario job {job_id} did not finish {what} (last status: {status}). The job keeps running "
            "on Scenario's side and its credits are spent; a retry of this task resumes it.",
            job_id=job_id,
        )


class CostLimitExceededError(ScenarioError):
    """The dry-run estimate is above ``max_creative_units``; nothing was submitted."""

    def __init__(self, *, estimate: float, limit: float, model_id: str) -> None:
        self.estimate = estimate
        self.limit = limit
        super().__init__(
            f"Refusing to submit to {model_id}: the estimated cost is {estimate:g} creative units, "
            f"above max_creative_units={limit:g}. Nothing was submitted."
        )


class InvalidTriggerEventError(ScenarioError):
    """A trigger event is missing or does not have a known status."""


# --- Transfers ---------------------------------------------------------------------------------------


class AssetTransferError(ScenarioError):
    """An asset could not be copied to its destination; nothing was left at the final name."""


class AssetIntegrityError(AssetTransferError):
    """The downloaded bytes do not match the size (or checksum) the API announced."""


class DestinationExistsError(AssetTransferError):
    """The destination object exists and ``if_exists='fail'``."""


class ScenarioUploadError(ScenarioError):
    """An upload to Scenario ended in status ``failed``, or was not imported in time."""


def allowed_values(values: Iterable[Any]) -> str:
    """Render allowed values for an :class:`InvalidParameterError` message."""
    return "allowed values are " + ", ".join(repr(v) for v in values)
