"""The hardening guards one by one: concurrent duplicates, money, transport, time and log redaction."""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from airflow_provider_veo.exceptions import (
    InvalidParameterError,
    ScenarioConfigurationError,
    ScenarioProtocolError,
    ScenarioRateLimitError,
)
from airflow_provider_veo.hooks.connection_settings import normalize_base_url, origin, resolve_settings
from airflow_provider_veo.hooks.retry_policy import GiveUp, RetriedCall, RetryPolicy, parse_retry_after
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.hooks.scenario_async import ScenarioAsyncHook
from airflow_provider_veo.models.api import format_timestamp
from airflow_provider_veo.models.veo31 import MODEL_ID, Veo31Request
from airflow_provider_veo.operators.paid_submission import PaidSubmission
from airflow_provider_veo.operators.veo31_state import start_attempt
from airflow_provider_veo.testing import EmulatorConfig, Fault
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from tests.support.jobs import first_event, submit_job
from tests.support.operators import generate

BODY = Veo31Request(prompt="a fox", duration=4).to_api_body()


class DictStore:
    """A task state store shared by several runs of one task instance (thread-safe like the DB row)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self.lock:
            return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        with self.lock:
            self.values[key] = value

    def delete(self, key: str) -> None:
        with self.lock:
            self.values.pop(key, None)


def _submission(store: DictStore) -> PaidSubmission:
    return PaidSubmission(
        hook=ScenarioHook(),
        store=store,
        key="k",
        fingerprint="f",
        log=logging.getLogger("t"),
        wait_interval=0.1,
    )


# --- concurrent duplicates -------------------------------------------------------------------------------


def test_two_runs_of_one_task_instance_submitting_at_once_pay_once(scenario_emulator) -> None:
    store = DictStore()
    results: list[str] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        submission = _submission(store)
        barrier.wait()
        job = submission.recorded_job()
        results.append(job.job_id if job else submission.submit(MODEL_ID, BODY))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    assert results[0] == results[1]  # the second run adopted the first one's job
    assert scenario_emulator.paid_submissions == 1


def test_a_replacement_try_waits_for_the_zombie_attempt_in_flight_then_adopts_its_job(
    scenario_emulator,
) -> None:
    store = DictStore()
    zombie = start_attempt("f", BODY, owner="zombie-host:1", now=datetime.now(timezone.utc))
    store.set("k", zombie.to_store())

    def zombie_finishes() -> None:
        time.sleep(0.5)  # its paid POST is still in flight when the replacement starts
        job_id = submit_job("a fox")
        store.set("k", {"request_sha256": "f", "job_id": job_id})

    threading.Thread(target=zombie_finishes).start()
    job = _submission(store).recorded_job()
    assert job is not None
    assert scenario_emulator.paid_submissions == 1


def test_an_attempt_older_than_its_window_is_looked_up_not_waited_for(scenario_emulator) -> None:
    store = DictStore()
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    store.set("k", start_attempt("f", BODY, owner="dead:1", now=long_ago).to_store())
    started = time.monotonic()
    assert _submission(store).recorded_job() is None  # nothing created in its window: submit again
    assert time.monotonic() - started < 5
    assert store.get("k") is None
    assert scenario_emulator.paid_submissions == 0


# --- money ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [math.nan, math.inf, -1, 0, True, "nan", "100"])
def test_max_creative_units_must_be_a_finite_number_above_zero(limit: Any, scenario_emulator) -> None:
    with pytest.raises(InvalidParameterError, match="max_creative_units"):
        generate(max_creative_units=limit)
    assert scenario_emulator.counters()["routes"] == {}


@pytest.mark.parametrize(
    ("name", "value"), [("poll_interval", math.nan), ("timeout", math.inf), ("timeout", 0)]
)
def test_time_parameters_must_be_finite_and_positive(name: str, value: float) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        generate(**{name: value})
    with pytest.raises(ValueError, match="poll_interval"):
        JobCompleteTrigger(job_id="job_1", end_time=time.time() + 5, poll_interval=math.nan)
    with pytest.raises(ValueError, match="end_time"):
        JobCompleteTrigger(job_id="job_1", end_time=math.nan)


# --- transport --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["ftp://api.example.com/v1", "file:///etc/passwd", "http://api.example.com/v1", "gopher://x"]
)
def test_only_https_or_loopback_http_base_urls(url: str) -> None:
    with pytest.raises(ScenarioConfigurationError):
        normalize_base_url(url)


def test_plain_http_elsewhere_needs_the_explicit_extra() -> None:
    assert (
        normalize_base_url("http://proxy.internal/v1", allow_insecure_http=True) == "http://proxy.internal/v1"
    )
    settings = resolve_settings(
        None,
        conn_id="x",
        extras={"allow_insecure_http": "true"},
        environ={
            "SCENARIO_SDK_API_KEY": "k",
            "SCENARIO_SDK_API_SECRET": "s",
            "SCENARIO_BASE_URL": "http://proxy.internal",
        },
    )
    assert settings.insecure


def test_origins_compare_case_and_idna_insensitively() -> None:
    assert origin("HTTPS://Bücher.Example/v1") == origin("https://xn--bcher-kva.example:443/v1/jobs")
    assert origin("https://api.example.com/v1") != origin("https://api.example.com:8443/v1")
    assert normalize_base_url("https://API.Example.COM") == "https://api.example.com/v1"


def test_an_upper_case_host_still_gets_credentials_from_the_sync_hook(
    scenario_emulator_factory, monkeypatch
) -> None:
    with scenario_emulator_factory(EmulatorConfig(strict_credentials=True)) as emulator:
        host = emulator.base_url.replace("127.0.0.1", "LOCALHOST")
        monkeypatch.setenv(
            "AIRFLOW_CONN_SCENARIO_DEFAULT",
            f'{{"conn_type": "scenario", "host": "{host}", "login": "{emulator.api_key}", '
            f'"password": "{emulator.api_secret}"}}',
        )
        job_id = submit_job("a fox")  # authenticated (a strict emulator answers 401 otherwise)
        assert ScenarioHook().get_job(job_id).job_id == job_id


def test_json_answers_are_capped_in_both_hooks(scenario_emulator) -> None:
    job_id = submit_job("a fox")
    huge = (
        '{"job": {"jobId": "' + job_id + '", "status": "queued", "pad": "' + "x" * (9 * 1024 * 1024) + '"}}'
    )
    scenario_emulator.inject(Fault.malform(raw_body=huge), route="GET /jobs/{jobId}", times=10)
    with pytest.raises(ScenarioProtocolError, match="larger than the 8 MiB"):
        ScenarioHook(max_retries=0).get_job(job_id)


@pytest.mark.asyncio
async def test_json_answers_are_capped_in_the_async_hook_too(scenario_emulator) -> None:
    job_id = submit_job("a fox")
    huge = (
        '{"job": {"jobId": "' + job_id + '", "status": "queued", "pad": "' + "x" * (9 * 1024 * 1024) + '"}}'
    )
    scenario_emulator.inject(Fault.malform(raw_body=huge), route="GET /jobs/{jobId}", times=10)
    async with ScenarioAsyncHook(max_retries=0) as hook:
        with pytest.raises(ScenarioProtocolError, match="larger than the 8 MiB"):
            await hook.get_job(job_id)


# --- time -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [("nan", None), ("NaN", None), ("-5", 0.0), ("abc", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_is_parsed_defensively(header: str, expected: float | None) -> None:
    assert parse_retry_after({"retry-after": header}) == expected


def test_a_huge_retry_after_is_bounded_and_never_waits_past_the_deadline() -> None:
    policy = RetryPolicy(retry_after_max=60.0)
    assert policy.delay(0, parse_retry_after({"retry-after": "1e12"})) == 60.0
    call = RetriedCall(
        policy=policy, method="GET", path="/jobs/j", base_url="https://x/v1", deadline=time.time() + 4
    )
    decision = call.after_error_response(0, status_code=429, headers={"retry-after": "60"}, body=b"")
    assert isinstance(decision, GiveUp)
    assert isinstance(decision.error, ScenarioRateLimitError)


@pytest.mark.asyncio
async def test_a_trigger_with_a_4_s_deadline_ends_in_seconds_despite_a_60_s_retry_after(
    scenario_emulator_factory,
) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=60)) as emulator:
        job_id = submit_job("a fox")
        emulator.inject(Fault.status(429, retry_after=60), route="GET /jobs/{jobId}", times=100)
        started = time.monotonic()
        trigger = JobCompleteTrigger(
            job_id=job_id, end_time=time.time() + 4, poll_interval=1, polling="per_job"
        )
        event = await first_event(trigger, timeout=30)
        assert time.monotonic() - started < 15
        assert event["status"] in ("timeout", "error")


# --- logs -------------------------------------------------------------------------------------------------


def test_signed_url_queries_never_reach_the_http_libraries_debug_logs(
    scenario_emulator, caplog: pytest.LogCaptureFixture
) -> None:
    asset_id = scenario_emulator.create_video_asset(size=64 * 1024)
    url = ScenarioHook().get_download_url(asset_id)
    signature = url.split("Signature=")[1].split("&")[0]
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        requests.get(url, timeout=10).raise_for_status()
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("urllib3")]
    assert any("/cdn/assets/" in line for line in lines)  # urllib3 did log the request line
    assert not any(signature in line or "Signature=" in line for line in lines)


def test_format_timestamp_round_trips() -> None:
    moment = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    assert format_timestamp(moment) == "2026-11-30T10:00:00.000Z"
