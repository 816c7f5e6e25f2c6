"""Exceptions raised by the Scenario / Veo 3.1 provider.

Every class says what went wrong; none of them ever carries credentials. API errors keep the HTTP
status and the API's own ``reason`` / ``hint`` so callers can branch on the class, never on text.

**Permanent errors** (subclasses of :class:`ScenarioPermanentError`, itself an ``AirflowFailException``)
fail the task without using its retries, because a retry cannot fix them: invalid parameters, the
budget refusal, an ambiguous unknown outcome, authentication and permission errors, a 400/404/422
refusal from the API, a bad connection configuration, ``if_exists='fail'``. Everything else (429, 408,
5xx, network trouble, a malformed answer, a job that failed) is left to the task's retries, which
resume the recorded job instead of paying again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airflow_provider_veo._compat import AirflowException, AirflowFailException


class ScenarioError(AirflowException):
    """Base class of every error raised by this provider."""


class ScenarioPermanentError(ScenarioError, AirflowFailException):
    """An error a retry cannot fix: the task fails at once, without using its retries."""


class ScenarioConfigurationError(ScenarioPermanentError):
    """The connection or the environment does not configure what the provider needs."""


class InvalidParameterError(ScenarioPermanentError, ValueError):
    """A parameter is invalid; raised before any HTTP request is made.

    ``task_id``, when known, names the task so two tasks in one DAG file can be told apart.
    """

    def __init__(self, parameter: str, value: Any, allowed: str, *, task_id: str | None = None) -> None:
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        self.task_id = task_id
        prefix = f"Task {task_id!r}: " if task_id else ""
        super().__init__(f"{prefix}Invalid {parameter}={value!r}: {allowed}")

    def for_task(self, task_id: str) -> InvalidParameterError:
        """The same error naming ``task_id`` (itself when it already names a task)."""
        if self.task_id:
            return self
        return InvalidParameterError(self.parameter, self.value, self.allowed, task_id=task_id)


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


class ScenarioAuthenticationError(ScenarioAPIError, ScenarioPermanentError):
    """HTTP 401: the API key / secret were rejected."""


class ScenarioPermissionError(ScenarioAPIError, ScenarioPermanentError):
    """HTTP 403: the credentials are valid but the plan or project does not allow this (e.g. the model)."""


class ScenarioNotFoundError(ScenarioAPIError, ScenarioPermanentError):
    """HTTP 404: the job, asset or model does not exist (or belongs to another project)."""


class ScenarioInvalidRequestError(ScenarioAPIError, ScenarioPermanentError):
    """HTTP 400/422: the API refused the request; ``reason`` and ``hint`` say why."""


class ScenarioConflictError(ScenarioAPIError):
    """HTTP 409: the request conflicts with the resource's current state (may pass later)."""


class ScenarioProtocolError(ScenarioError):
    """The API answered something the provider cannot trust: not JSON, too large, a redirect, or a
    field missing, of the wrong type or out of range. ``field`` and ``value`` say which.

    Never treated as a success; a task retry re-reads (and resumes) rather than paying again.
    """

    def __init__(self, *, method: str, path: str, field: str, value: str, problem: str) -> None:
        self.method = method
        self.path = path
        self.field = field
        self.value = value
        self.problem = problem
        super().__init__(
            f"{method} {path}: malformed answer from the Scenario API: {field}={value} ({problem})"
        )


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
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def is_parallel_job_limit(self) -> bool:
        """Whether this 429 is the team's ceiling of jobs running at once (it provably created no job)."""
        return self.action_limit is not None


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


class DryRunIgnoredError(ScenarioPermanentError):
    """A dry run (``?dryRun=true``) was answered like a real submission: a job may exist and be billed.

    Permanent: another attempt would pay again. Nothing more is submitted.
    """

    def __init__(self, *, model_id: str, status_code: int, job_id: object) -> None:
        self.model_id = model_id
        self.job_id = job_id if isinstance(job_id, str) else None
        what = f"a job ({self.job_id})" if self.job_id else "no estimate"
        super().__init__(
            f"The cost estimate (dry run) of {model_id} was answered with HTTP {status_code} and {what}, "
            "not HTTP 269 with an estimate: the API ignored the dry run, so a job may have been created "
            "and billed. Nothing more was submitted; check the project's jobs in the Scenario app."
        )


class AmbiguousSubmissionError(ScenarioPermanentError):
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


class ScenarioWaitError(ScenarioError):
    """Waiting on a job failed (the API or the network failed too long); the job itself may still run."""

    def __init__(self, *, job_id: str, detail: str) -> None:
        self.job_id = job_id
        super().__init__(
            f"Waiting on Scenario job {job_id} failed: {detail}. The job itself may still be running; "
            "a retry of this task resumes it."
        )


class ScenarioWaitRefusedError(ScenarioWaitError, ScenarioPermanentError):
    """Waiting on a job failed for a reason a retry cannot fix (401, 403, 404 while polling)."""


class CostLimitExceededError(ScenarioPermanentError):
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


class DestinationExistsError(AssetTransferError, ScenarioPermanentError):
    """The destination object exists and ``if_exists='fail'``."""


class ScenarioUploadError(ScenarioError):
    """An upload to Scenario ended in status ``failed``, or was not imported in time."""


class ExtendChainStepError(ScenarioError):
    """Step ``step`` of an Extend chain did not produce its video; the earlier steps' videos are kept.

    ``kept_asset_ids`` are the videos of steps 1 to ``step - 1``; ``__cause__`` is the step's error.
    A retry of the task resumes the chain at this step without paying again for the earlier ones.
    """

    def __init__(
        self, *, step: int, steps: int, job_id: str | None, kept_asset_ids: list[str], cause: str
    ) -> None:
        self.step = step
        self.steps = steps
        self.job_id = job_id
        self.kept_asset_ids = kept_asset_ids
        kept = ", ".join(kept_asset_ids) or "none"
        super().__init__(
            f"Extend step {step}/{steps} (job {job_id or 'not created'}) failed: {cause}. "
            f"Videos of the earlier steps are kept: {kept}."
        )


def allowed_values(values: Iterable[Any]) -> str:
    """Render allowed values for an :class:`InvalidParameterError` message."""
    return "allowed values are " + ", ".join(repr(v) for v in values)
