"""Retry rules shared by both hooks: what is transient, Retry-After parsing, backoff with jitter, and the
retry-or-raise decision after each failed attempt (paid submission vs idempotent call)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from airflow_provider_veo.exceptions import (
    ScenarioAPIError,
    ScenarioInvalidRequestError,
    ScenarioNotFoundError,
    ScenarioRateLimitError,
    ScenarioTransportError,
    SubmissionOutcomeUnknownError,
)
from airflow_provider_veo.hooks.retry_policy import (
    GiveUp,
    RetriedCall,
    Retry,
    RetryPolicy,
    is_retryable_status,
    parse_retry_after,
)

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


SECRET = "sk-retry-secret"
POLICY = RetryPolicy(max_retries=2, backoff_base=1.0, backoff_max=4.0, retry_after_max=60.0)
ROOT = "https://api.example.test/v1"


def _read() -> RetriedCall:
    return RetriedCall(policy=POLICY, method="GET", path="/jobs/j1", base_url=ROOT, secrets=(SECRET,))


def _paid() -> RetriedCall:
    return RetriedCall(
        policy=POLICY,
        method="POST",
        path="/generate/custom/model_veo3-1",
        base_url=ROOT,
        secrets=(SECRET,),
        paid_model_id="model_veo3-1",
    )


def _error_response(call: RetriedCall, attempt: int, status: int, **headers: str) -> Retry | GiveUp:
    body = b'{"reason": "nope"}'
    return call.after_error_response(
        attempt, status_code=status, headers=CaseInsensitiveDict(headers), body=body
    )


@pytest.mark.parametrize("attempt", [0, 1])
def test_idempotent_call_retries_transport_errors_with_backoff(attempt: int) -> None:
    decision = _read().after_transport_error(attempt, requests.ReadTimeout("slow"))
    assert isinstance(decision, Retry)
    assert decision.failure == "ReadTimeout"
    ceiling = POLICY.backoff_base * 2**attempt
    assert ceiling / 2 <= decision.delay <= ceiling


def test_idempotent_call_gives_up_on_transport_errors_after_max_retries() -> None:
    exc = requests.ConnectionError(f"reset by peer while sending {SECRET}")
    decision = _read().after_transport_error(POLICY.max_retries, exc)
    assert isinstance(decision, GiveUp)
    assert isinstance(decision.error, ScenarioTransportError)
    assert decision.cause is exc
    assert str(decision.error) == (
        f"GET /jobs/j1: the Scenario API at {ROOT} could not be reached after 3 attempt(s): "
        "ConnectionError: reset by peer while sending ***"
    )


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_idempotent_call_retries_transient_statuses(status: int) -> None:
    decision = _error_response(_read(), 0, status)
    assert isinstance(decision, Retry)
    assert decision.failure == f"HTTP {status}"
    assert 0.5 <= decision.delay <= 1.0


def test_retry_after_overrides_backoff_and_is_capped() -> None:
    assert _error_response(_read(), 1, 503, **{"Retry-After": "7"}) == Retry(7.0, "HTTP 503")
    assert _error_response(_read(), 0, 429, **{"Retry-After": "3600"}) == Retry(60.0, "HTTP 429")


def test_idempotent_call_gives_up_on_transient_status_after_max_retries() -> None:
    decision = _error_response(_read(), POLICY.max_retries, 429, **{"Retry-After": "2"})
    assert isinstance(decision, GiveUp)
    assert isinstance(decision.error, ScenarioRateLimitError)
    assert decision.error.retry_after == 2.0
    assert decision.cause is None


@pytest.mark.parametrize(
    ("status", "error_class"), [(404, ScenarioNotFoundError), (422, ScenarioInvalidRequestError)]
)
def test_client_errors_are_never_retried(status: int, error_class: type[Exception]) -> None:
    for call in (_read(), _paid()):
        decision = _error_response(call, 0, status)
        assert isinstance(decision, GiveUp)
        assert type(decision.error) is error_class
        assert decision.cause is None


@pytest.mark.parametrize(
    "exc",
    [requests.ReadTimeout("no answer"), requests.ConnectionError("connection reset")],
    ids=["timeout", "dropped"],
)
def test_paid_call_gives_up_with_unknown_outcome_once_sent(exc: Exception) -> None:
    decision = _paid().after_transport_error(0, exc, never_sent=False)
    assert isinstance(decision, GiveUp)
    assert isinstance(decision.error, SubmissionOutcomeUnknownError)
    assert decision.error.model_id == "model_veo3-1"
    assert decision.error.cause == f"{type(exc).__name__}: {exc}"
    assert decision.cause is exc


def test_paid_call_retries_a_connection_that_never_opened() -> None:
    decision = _paid().after_transport_error(0, requests.ConnectTimeout("refused"), never_sent=True)
    assert isinstance(decision, Retry)
    assert decision.failure == "ConnectTimeout"
    last = _paid().after_transport_error(POLICY.max_retries, requests.ConnectTimeout("x"), never_sent=True)
    assert isinstance(last, GiveUp)
    assert isinstance(last.error, ScenarioTransportError)


def test_paid_call_retries_only_429() -> None:
    assert _error_response(_paid(), 0, 429, **{"Retry-After": "1"}) == Retry(1.0, "HTTP 429")
    for status in (408, 500, 503):
        decision = _error_response(_paid(), 0, status)
        assert isinstance(decision, GiveUp)
        assert isinstance(decision.error, SubmissionOutcomeUnknownError)
        assert f"HTTP {status}: nope" in decision.error.cause
        assert isinstance(decision.cause, ScenarioAPIError)
        assert decision.cause.status_code == status


def test_no_retry_budget_gives_up_at_once() -> None:
    call = RetriedCall(policy=RetryPolicy(max_retries=0), method="GET", path="/jobs", base_url=ROOT)
    assert isinstance(call.after_transport_error(0, requests.ReadTimeout("t")), GiveUp)
    assert isinstance(_error_response(call, 0, 503), GiveUp)


def test_call_repr_hides_secrets() -> None:
    assert SECRET not in repr(_paid())
