"""When and how long to wait before retrying a Scenario API call (shared by the sync and async hooks).

What is retryable: connection failures, timeouts, HTTP 408, 429 and 5xx. The paid ``POST /generate``
narrows this further (see :class:`~airflow_provider_veo.hooks.scenario.ScenarioHook`).
Delays: the server's ``Retry-After`` (or ``retry-after-ms``) when present, capped at
``retry_after_max``; otherwise exponential backoff ``backoff_base * 2**n`` capped at ``backoff_max``,
with jitter (a random 50-100 % of that value) so many clients do not retry in lock-step.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

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
