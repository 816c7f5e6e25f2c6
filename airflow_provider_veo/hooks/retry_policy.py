"""When and how long to wait before retrying a Scenario API call (shared by the sync and async hooks).

What is retryable: connection failures, timeouts, HTTP 408, 429 and 5xx. The paid ``POST /generate``
narrows this further: it is retried only when no job can exist (HTTP 429, or the connection could not
be opened), see :class:`RetriedCall`, which makes every retry-or-raise decision of both hooks' loops.
Delays: the server's ``Retry-After`` (or ``retry-after-ms``) when present, capped at
``retry_after_max``; otherwise exponential backoff ``backoff_base * 2**n`` capped at ``backoff_max``,
with jitter (a random 50-100 % of that value) so many clients do not retry in lock-step.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from airflow_provider_veo.exceptions import (
    ScenarioError,
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
    A date in the past gives 0; an unparsable value gives ``None``.
    """
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - (now or datetime.now(timezone.utc))).total_seconds(), 0.0)


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
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if min(self.backoff_base, self.backoff_max, self.retry_after_max) < 0:
            raise ValueError("backoff_base, backoff_max and retry_after_max must be >= 0")

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
    """

    policy: RetryPolicy
    method: str
    path: str
    base_url: str
    secrets: tuple[str, ...] = field(default=(), repr=False)
    paid_model_id: str | None = None

    def after_transport_error(
        self, attempt: int, exc: Exception, *, never_sent: bool = False
    ) -> Retry | GiveUp:
        """Decide after attempt number ``attempt`` (0-based) got no response.

        :param never_sent: the connection could not be opened, so the server never saw the request.
        """
        cause = redact(f"{type(exc).__name__}: {exc}", self.secrets)
        if self.paid_model_id is not None and not never_sent:
            return GiveUp(SubmissionOutcomeUnknownError(model_id=self.paid_model_id, cause=cause), exc)
        if attempt >= self.policy.max_retries:
            return GiveUp(
                ScenarioTransportError(
                    f"{self.method} {self.path}: the Scenario API at {self.base_url} could not be reached "
                    f"after {attempt + 1} attempt(s): {cause}"
                ),
                exc,
            )
        return Retry(self.policy.delay(attempt), type(exc).__name__)

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
        if not retryable or attempt >= self.policy.max_retries:
            return GiveUp(error)
        return Retry(self.policy.delay(attempt, retry_after), f"HTTP {status_code}")
