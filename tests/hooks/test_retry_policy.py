"""Retry rules shared by both hooks: what is transient, Retry-After parsing, backoff with jitter."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from requests.structures import CaseInsensitiveDict

from airflow_provider_veo.hooks.retry_policy import RetryPolicy, is_retryable_status, parse_retry_after

NOW = datetime(2026, 11, 24, 10, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (408, True),
        (429, True),
        (500, True),
        (503, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (409, False),
        (422, False),
    ],
)
def test_retryable_statuses(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"Retry-After": "-4"}, 0.0),
        ({"Retry-After": "Tue, 24 Nov 2026 10:00:30 GMT"}, 30.0),
        ({"Retry-After": "Tue, 24 Nov 2026 09:00:00 GMT"}, 0.0),
        ({"Retry-After-Ms": "250"}, 0.25),
        ({"Retry-After": "whenever"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(CaseInsensitiveDict(headers), now=NOW) == expected


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=4.0)
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 4.0)]:
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered, not lock-step


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(backoff_base=1.0, retry_after_max=60.0)
    assert policy.delay(3, retry_after=2.0) == 2.0
    assert policy.delay(0, retry_after=3600.0) == 60.0


def test_invalid_policy_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="backoff"):
        RetryPolicy(backoff_base=-1)
