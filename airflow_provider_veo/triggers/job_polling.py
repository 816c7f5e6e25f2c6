"""The polling policy shared by the trigger (async) and the operator's blocking wait (sync).

:class:`JobPoller` holds no I/O: the caller fetches the job, hands the job or the error to the poller,
and sleeps for :meth:`JobPoller.next_delay`. The poller decides when the wait is over:

* a terminal job ends it with the job's own outcome;
* a transient error (429, 5xx, connection trouble: the hooks already retried them a few times) is
  ridden out until ``max_consecutive_failures`` polls in a row have failed; any other error (401,
  403, 404, an unknown status) ends it at once with an ``error`` event;
* the deadline (an absolute wall-clock epoch) ends it with ``timeout``. Sleeps never go past the
  deadline, so the last poll happens at the deadline: the status is always re-checked once before
  a timeout is reported.

Status and progress are logged only when they change (``Scenario job job_x: in-progress 40%``), by
:class:`ProgressLog`; :func:`report_cancel` words the outcome of a cancel attempt for both paths.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any, Protocol

from airflow_provider_veo.exceptions import (
    ScenarioAPIError,
    ScenarioError,
    ScenarioInvalidRequestError,
    ScenarioPermanentError,
    ScenarioProtocolError,
    ScenarioRateLimitError,
    ScenarioTransportError,
)
from airflow_provider_veo.hooks.retry_policy import is_retryable_status
from airflow_provider_veo.models.api import Job
from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.triggers.job_event import JobEvent, JobEventStatus

DEFAULT_MAX_CONSECUTIVE_FAILURES = 5
"""Polls in a row that may fail transiently before the wait gives up with an ``error`` event."""

POLL_REQUEST_RETRIES = 1
"""Quick retries of one poll request by the hook (e.g. a keep-alive connection the server dropped).

Longer trouble is ridden out poll by poll, within ``max_consecutive_failures``.
"""

CANCEL_REQUEST_RETRIES = 0
"""A cancel attempt is one request: a killed task has a short grace period (the worker's, or the
triggerer's ``[triggerer] on_kill_timeout``, 30 s by default), no time for backoffs."""

CANCEL_TIMEOUT = 10.0
"""Seconds a cancel attempt may take, well within those grace periods."""


def is_transient(error: Exception) -> bool:
    """Whether an error is worth polling through (the job is fine; the API or network is not, for now).

    The API's retryable answers (408, 429, 5xx), an unreachable API and an answer that could not be
    trusted (a glitch is ridden out; a steady one ends the wait after ``max_consecutive_failures``)
    are; 401, 403, 404, 400 are not.
    """
    if isinstance(error, (ScenarioTransportError, ScenarioProtocolError)):
        return True
    return isinstance(error, ScenarioAPIError) and is_retryable_status(error.status_code)


POLL_JITTER = 0.1
"""Each sleep is ``poll_interval`` times a random factor in ``[1 - POLL_JITTER, 1 + POLL_JITTER]``."""


class PollLog(Protocol):
    """The two logging methods the poller uses (a stdlib or an Airflow/structlog logger)."""

    def info(self, msg: str, /, *args: Any) -> Any: ...

    def warning(self, msg: str, /, *args: Any) -> Any: ...


class ProgressLog:
    """Log a job's status and progress (``Scenario job job_x: in-progress 40%``) only when they change.

    With a ``label`` (e.g. ``step 3/10``) the line starts with it: ``step 3/10: in-progress 40 %
    (Scenario job job_x)``.
    """

    def __init__(self, job_id: str, log: PollLog, label: str | None = None) -> None:
        self.job_id = job_id
        self.log = log
        self.label = label
        self._last: tuple[JobStatus, int] | None = None

    def update(self, job: Job) -> JobStatus:
        """Log the job's state if it changed; return its status."""
        state = (job.status, job.progress_percent)
        if state != self._last:
            self._last = state
            if self.label:
                self.log.info(
                    "%s: %s %d %% (Scenario job %s)", self.label, state[0].value, state[1], self.job_id
                )
            else:
                self.log.info("Scenario job %s: %s %d%%", self.job_id, state[0].value, state[1])
        return state[0]


class JobPoller:
    """Decide, poll after poll, whether the wait on one job is over.

    >>> poller = JobPoller(job_id="job_1", end_time=time.time() + 60)
    >>> poller.on_job(Job(job_id="job_1", status="in-progress", progress=0.4)) is None
    True
    """

    def __init__(
        self,
        *,
        job_id: str,
        end_time: float,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        log: PollLog | None = None,
        label: str | None = None,
    ) -> None:
        self.job_id = job_id
        self.end_time = end_time
        self.max_consecutive_failures = max_consecutive_failures
        self.log: PollLog = log or logging.getLogger(__name__)
        self.consecutive_failures = 0
        self.last_status: str | None = None
        self._progress = ProgressLog(job_id, self.log, label)
        self._retry_after: float | None = None

    def on_job(self, job: Job) -> JobEvent | None:
        """Record a successful poll; return the final event when the job has finished."""
        self.consecutive_failures = 0
        self._retry_after = None
        status = self._progress.update(job)
        self.last_status = status.value
        if not status.is_terminal:
            return None
        return JobEvent.from_terminal_job(job)

    def on_error(self, error: Exception) -> JobEvent | None:
        """Record a failed poll; return an ``error`` event when the wait cannot go on."""
        if not is_transient(error):
            return self.error_event(
                f"{type(error).__name__}: {error}", permanent=isinstance(error, ScenarioPermanentError)
            )
        self.consecutive_failures += 1
        if isinstance(error, ScenarioRateLimitError):
            self._retry_after = error.retry_after
        if self.consecutive_failures >= self.max_consecutive_failures:
            return self.error_event(
                f"{self.consecutive_failures} polls in a row failed; "
                f"last error: {type(error).__name__}: {error}"
            )
        self.log.warning(
            "Polling Scenario job %s failed (%d/%d in a row), will try again: %s",
            self.job_id,
            self.consecutive_failures,
            self.max_consecutive_failures,
            error,
        )
        return None

    def on_deadline(self) -> JobEvent | None:
        """The ``timeout`` event once the deadline has passed (call it after a poll that did not finish)."""
        if time.time() < self.end_time:
            return None
        return JobEvent(
            status=JobEventStatus.TIMEOUT,
            job_id=self.job_id,
            job_status=self.last_status,
            message=f"Scenario job {self.job_id} was still {self.last_status or 'unknown'} at the deadline",
        )

    def next_delay(self, poll_interval: float) -> float:
        """Seconds before the next poll: jittered, at least a 429's Retry-After, never past the deadline."""
        delay = poll_interval * random.uniform(1 - POLL_JITTER, 1 + POLL_JITTER)
        if self._retry_after is not None:
            delay = max(delay, self._retry_after)
        return max(0.0, min(delay, self.end_time - time.time()))

    def error_event(self, message: str, *, permanent: bool = False) -> JobEvent:
        """An ``error`` event: the wait is over without knowing how the job ends."""
        return JobEvent(
            status=JobEventStatus.ERROR,
            job_id=self.job_id,
            job_status=self.last_status,
            message=message,
            permanent=permanent,
        )


def report_cancel(log: PollLog, job_id: str, error: ScenarioError | None) -> None:
    """Log how a cancel attempt went (``error`` is ``None`` when the API canceled the job)."""
    if error is None:
        log.info("Canceled Scenario job %s", job_id)
    elif isinstance(error, ScenarioInvalidRequestError):
        log.warning(
            "Scenario refused to cancel job %s (%s). The job goes on running and its credits are spent.",
            job_id,
            error.reason,
        )
    else:
        log.warning(
            "Could not cancel Scenario job %s (%s). It may go on running and its credits be spent.",
            job_id,
            error,
        )
