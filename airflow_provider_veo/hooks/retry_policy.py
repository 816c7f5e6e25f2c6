"""When and how long to wait before retrying a Scenario API call (shared by the sync and async hooks).

What is retryable: connection failures, timeouts, HTTP 408, 429 and 5xx. The paid ``POST /generate``
narrows this further: it is retried only when no job can exist (HTTP 429, or the connection could not
be opened), see :class:`RetriedCall`, which makes every retry-or-raise decision of both hooks' loops.
Delays: the server's ``Retry-After`` (or ``retry-after-ms``) when present, capped at
``retry_after_max``; otherwise exponential backoff ``backoff_base * 2**n`` capped at ``backoff_max``,
with jitter (a random 50-100 % of that value) so many clients do not retry in lock-step.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from airflow_provider_veo.exceptions import (
    ScenarioError,
    ScenarioProtocolError,
    ScenarioRateLimitError,
    ScenarioTransportError,
    SubmissionOutcomeUnknownError,
)
from airflow_provider_veo.hooks.errors import api_error, redact

RETRYABLE_STATUSES = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP status is transient: 408, 429 or any 5xx."""
    return status in RETRYABLE_STATUSES or status >= 500


def parse_retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date), if given.

    ``headers`` must look names up case-insensitively (``requests`` and ``aiohttp`` headers do).
    Defensive: a date in the past or a negative value gives 0, an infinite or huge value is returned
    as is for :meth:`RetryPolicy.delay` to cap, and anything unparsable (``NaN`` included) gives
    ``None`` (the normal backoff applies).
    """
    milliseconds = _finite(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return max(milliseconds / 1000, 0.0)
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - (now or datetime.now(timezone.utc))).total_seconds(), 0.0)


def _finite(text: str | None) -> float | None:
    """``text`` as a number of seconds; ``None`` unless it is a number (``inf`` counts, ``NaN`` not)."""
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def check_delay(name: str, value: float, *, allow_zero: bool = True) -> float:
    """``value`` if it is a finite number of seconds (> 0, or >= 0 with ``allow_zero``), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'} seconds, got {value!r}")
    return float(value)


MIN_REQUEST_TIMEOUT = 5.0
"""Seconds a request may always take, even at its caller's deadline (the final re-check of a job)."""


def request_timeout(timeout: float, deadline: float | None) -> float:
    """The read timeout of one request: the connection's, shortened to end near ``deadline``."""
    if deadline is None:
        return timeout
    return min(timeout, max(deadline - time.time(), MIN_REQUEST_TIMEOUT))


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry a transient failure and how long to wait in between.

    :param max_retries: retries after the first attempt (0 disables retrying).
    :param backoff_base: first backoff delay in seconds; doubles on every retry.
    :param backoff_max: upper bound of a backoff delay in seconds.
    :param retry_after_max: upper bound applied to a server's ``Retry-After``.
    """

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 60.0

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            raise ValueError(f"max_retries must be an integer >= 0, got {self.max_retries!r}")
        for name in ("backoff_base", "backoff_max", "retry_after_max"):
            check_delay(name, getattr(self, name))

    def delay(self, retries_taken: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before retry number ``retries_taken + 1``."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        ceiling = min(self.backoff_max, self.backoff_base * 2.0**retries_taken)
        return ceiling * (0.5 + random.random() / 2)


@dataclass(frozen=True)
class Retry:
    """Wait ``delay`` seconds, then send the request again; ``failure`` names what failed, for the log."""

    delay: float
    failure: str


@dataclass(frozen=True)
class GiveUp:
    """Stop retrying: raise ``error`` from ``cause``."""

    error: ScenarioError
    cause: BaseException | None = None


@dataclass(frozen=True)
class RetriedCall:
    """One API call under a :class:`RetryPolicy`: after each failed attempt, retry or give up.

    The hooks' loops only do the I/O and act on the answer; every decision and message is made here.

    .. code-block:: python

        call = RetriedCall(policy=RetryPolicy(), method="GET", path="/jobs/j1", base_url=root)
        decision = call.after_error_response(0, status_code=503, headers={}, body=b"")
        # Retry(delay=0.37, failure="HTTP 503")

    :param path: the path relative to the API root (it labels errors and logs).
    :param secrets: strings redacted from error messages.
    :param paid_model_id: set for the paid ``POST /generate``: a job may exist once the request
        reached the server, so only HTTP 429 and connections that could not be opened are retried;
        every other failure gives up with :class:`SubmissionOutcomeUnknownError`.
    :param deadline: the caller's deadline (wall-clock epoch): a retry whose wait would end after it
        is not made; the last error is raised instead.
    """

    policy: RetryPolicy
    method: str
    path: str
    base_url: str
    secrets: tuple[str, ...] = field(default=(), repr=False)
    paid_model_id: str | None = None
    deadline: float | None = None

    def _retry(
        self, delay: float, failure: str, error: ScenarioError, cause: BaseException | None
    ) -> Retry | GiveUp:
        if self.deadline is not None and time.time() + delay > self.deadline:
            return GiveUp(error, cause)
        return Retry(delay, failure)

    def after_redirect(self, *, status_code: int, location: str | None) -> GiveUp:
        """A 3xx answer: never followed (credentials and a paid body must not travel elsewhere)."""
        target = urlsplit(location).hostname if location else None
        cause = f"HTTP {status_code} redirect to {target or 'an unnamed location'}, not followed"
        if self.paid_model_id is not None:
            return GiveUp(SubmissionOutcomeUnknownError(model_id=self.paid_model_id, cause=cause))
        return GiveUp(
            ScenarioProtocolError(
                method=self.method, path=self.path, field="status", value=str(status_code), problem=cause
            )
        )

    def after_transport_error(
        self, attempt: int, exc: Exception, *, never_sent: bool = False
    ) -> Retry | GiveUp:
        """Decide after attempt number ``attempt`` (0-based) got no response.

        :param never_sent: the connection could not be opened, so the server never saw the request.
        """
        cause = redact(f"{type(exc).__name__}: {exc}", self.secrets)
        if self.paid_model_id is not None and not never_sent:
            return GiveUp(SubmissionOutcomeUnknownError(model_id=self.paid_model_id, cause=cause), exc)
        error = ScenarioTransportError(
            f"{self.method} {self.path}: the Scenario API at {self.base_url} could not be reached "
            f"after {attempt + 1} attempt(s): {cause}"
        )
        if attempt >= self.policy.max_retries:
            return GiveUp(error, exc)
        return self._retry(self.policy.delay(attempt), type(exc).__name__, error, exc)

    def after_error_response(
        self, attempt: int, *, status_code: int, headers: Mapping[str, str], body: bytes
    ) -> Retry | GiveUp:
        """Decide after attempt number ``attempt`` (0-based) got an error response (status >= 400)."""
        retry_after = parse_retry_after(headers)
        error = api_error(
            status_code=status_code,
            body=body,
            method=self.method,
            path=self.path,
            retry_after=retry_after,
            secrets=self.secrets,
        )
        retryable = is_retryable_status(status_code)
        if self.paid_model_id is not None and retryable and status_code != 429:
            return GiveUp(SubmissionOutcomeUnknownError(model_id=self.paid_model_id, cause=str(error)), error)
        if isinstance(error, ScenarioRateLimitError) and error.is_parallel_job_limit:
            return GiveUp(error)  # the team's ceiling of running jobs: retrying at once repeats it
        if not retryable or attempt >= self.policy.max_retries:
            return GiveUp(error)
        return self._retry(self.policy.delay(attempt, retry_after), f"HTTP {status_code}", error, None)
