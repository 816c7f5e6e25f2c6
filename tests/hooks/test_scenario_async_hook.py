"""ScenarioAsyncHook over real HTTP: job reads, retries, errors and the shared per-loop connection pool."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from airflow_provider_veo.exceptions import (
    ScenarioAuthenticationError,
    ScenarioConfigurationError,
    ScenarioInvalidRequestError,
    ScenarioNotFoundError,
    ScenarioRateLimitError,
    ScenarioServerError,
    ScenarioTransportError,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.hooks.scenario_async import ScenarioAsyncHook
from airflow_provider_veo.models.api import Job
from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.models.veo31 import MODEL_ID
from airflow_provider_veo.testing import EmulatorConfig, Fault, ScenarioEmulator

GET_JOB = "GET /jobs/{jobId}"
FAST = {"backoff_base": 0.001, "backoff_max": 0.005}
Body = dict[str, Any]


def _submit(emu: ScenarioEmulator, body: Body) -> str:
    job_id: str = ScenarioHook(**FAST).run_model(MODEL_ID, body).job.job_id
    return job_id


@pytest.mark.asyncio
async def test_get_job_returns_the_same_job_as_the_sync_hook(
    scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    job_id = _submit(scenario_emulator, veo_body)

    async with ScenarioAsyncHook(**FAST) as hook:
        job = await hook.get_job(job_id)

    sync_job = ScenarioHook().get_job(job_id)
    assert type(job) is type(sync_job) is Job
    assert job.job_id == job_id
    assert set(job.model_dump(by_alias=True)) == set(sync_job.model_dump(by_alias=True))
    assert job.metadata.input == sync_job.metadata.input == veo_body


@pytest.mark.asyncio
async def test_cancel_job_refused_is_an_invalid_request(
    scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    job_id = _submit(scenario_emulator, veo_body)

    async with ScenarioAsyncHook(**FAST) as hook:
        with pytest.raises(ScenarioInvalidRequestError, match="Cannot cancel"):
            await hook.cancel_job(job_id)

    assert scenario_emulator.count("POST /jobs/{jobId}/action") == 1


@pytest.mark.asyncio
async def test_cancel_job_when_allowed(scenario_emulator_factory: Callable[..., Any], veo_body: Body) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=60, allow_cancel=True)) as emu:
        job_id = _submit(emu, veo_body)

        async with ScenarioAsyncHook(**FAST) as hook:
            job = await hook.cancel_job(job_id)

        assert job.status is JobStatus.CANCELED


@pytest.mark.asyncio
async def test_project_id_is_sent(scenario_emulator: ScenarioEmulator, veo_body: Body) -> None:
    job_id = _submit(scenario_emulator, veo_body)  # owned by the default project

    async with ScenarioAsyncHook(project_id="proj_other", **FAST) as hook:
        with pytest.raises(ScenarioNotFoundError):
            await hook.get_job(job_id)


# --- retries and errors ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_5xx_is_retried(scenario_emulator: ScenarioEmulator, veo_body: Body) -> None:
    job_id = _submit(scenario_emulator, veo_body)
    scenario_emulator.inject(Fault.status(503), route=GET_JOB, times=2)

    async with ScenarioAsyncHook(**FAST) as hook:
        assert (await hook.get_job(job_id)).job_id == job_id

    assert scenario_emulator.count(GET_JOB) == 3


@pytest.mark.asyncio
async def test_429_is_retried_honouring_retry_after(
    scenario_emulator: ScenarioEmulator, veo_body: Body, capsys: pytest.CaptureFixture[str]
) -> None:
    job_id = _submit(scenario_emulator, veo_body)
    scenario_emulator.inject(Fault.status(429, retry_after=0), route=GET_JOB)

    async with ScenarioAsyncHook(backoff_base=20, backoff_max=20) as hook:  # the header must win
        assert (await hook.get_job(job_id)).job_id == job_id

    assert scenario_emulator.count(GET_JOB) == 2
    assert "(HTTP 429); retry 1/3 in 0.00 s" in capsys.readouterr().out


@pytest.mark.asyncio
async def test_a_dropped_connection_and_a_timeout_are_retried(
    scenario_emulator: ScenarioEmulator, veo_body: Body, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _submit(scenario_emulator, veo_body)
    connection = json.loads(scenario_emulator.airflow_connection())
    monkeypatch.setenv("AIRFLOW_CONN_SCENARIO_DEFAULT", json.dumps({**connection, "extra": {"timeout": 0.2}}))
    scenario_emulator.inject(Fault.reset(), route=GET_JOB)
    scenario_emulator.inject(Fault.delay(0.6), route=GET_JOB)

    async with ScenarioAsyncHook(**FAST) as hook:
        assert (await hook.get_job(job_id)).job_id == job_id

    assert scenario_emulator.count(GET_JOB) == 3


@pytest.mark.asyncio
async def test_persistent_errors_raise_their_class_after_the_retries(
    scenario_emulator: ScenarioEmulator,
) -> None:
    scenario_emulator.inject(Fault.status(500), route=GET_JOB, times=4)
    scenario_emulator.inject(
        Fault.status(429, retry_after=0, body={"reason": "Too many requests"}), route=GET_JOB, times=4
    )

    async with ScenarioAsyncHook(max_retries=3, **FAST) as hook:
        with pytest.raises(ScenarioServerError) as server_error:
            await hook.get_job("job_x")
        with pytest.raises(ScenarioRateLimitError) as rate_error:
            await hook.get_job("job_x")
        with pytest.raises(ScenarioNotFoundError):
            await hook.get_job("job_x")

    assert server_error.value.status_code == 500
    assert rate_error.value.retry_after == 0
    assert rate_error.value.reason == "Too many requests"
    assert scenario_emulator.count(GET_JOB) == 4 + 4 + 1  # a 404 is not retried


@pytest.mark.asyncio
async def test_rejected_credentials(wrong_secret: ScenarioEmulator) -> None:
    async with ScenarioAsyncHook(**FAST) as hook:
        with pytest.raises(ScenarioAuthenticationError):
            await hook.get_job("job_x")

    assert wrong_secret.count(GET_JOB) == 1


@pytest.mark.asyncio
async def test_unreachable_api_is_a_transport_error(
    scenario_emulator: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch, closed_port_url: str
) -> None:
    connection = json.loads(scenario_emulator.airflow_connection())
    monkeypatch.setenv("AIRFLOW_CONN_SCENARIO_DEFAULT", json.dumps({**connection, "host": closed_port_url}))

    async with ScenarioAsyncHook(max_retries=2, **FAST) as hook:
        with pytest.raises(ScenarioTransportError, match=r"after 3 attempt\(s\)"):
            await hook.get_job("job_x")


# --- connection resolution ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_env_vars_when_the_default_connection_does_not_exist(
    scenario_emulator: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch, veo_body: Body
) -> None:
    job_id = _submit(scenario_emulator, veo_body)
    monkeypatch.delenv("AIRFLOW_CONN_SCENARIO_DEFAULT")
    monkeypatch.setenv("SCENARIO_SDK_API_KEY", scenario_emulator.api_key)
    monkeypatch.setenv("SCENARIO_SDK_API_SECRET", scenario_emulator.api_secret)
    monkeypatch.setenv("SCENARIO_BASE_URL", scenario_emulator.base_url)

    async with ScenarioAsyncHook(**FAST) as hook:
        assert (await hook.get_job(job_id)).job_id == job_id


@pytest.mark.asyncio
async def test_no_credentials_is_a_configuration_error_before_any_session(
    scenario_emulator: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = json.loads(scenario_emulator.airflow_connection())
    monkeypatch.setenv(
        "AIRFLOW_CONN_SCENARIO_DEFAULT", json.dumps({**connection, "login": None, "password": None})
    )
    hook = ScenarioAsyncHook()

    with pytest.raises(ScenarioConfigurationError, match="SCENARIO_SDK_API_KEY"):
        await hook.__aenter__()
    with pytest.raises(RuntimeError, match="async with"):
        _ = hook.session


# --- the shared pool ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_many_concurrent_hooks_share_one_pool_and_the_last_closes_it(
    scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    job_id = _submit(scenario_emulator, veo_body)
    before = scenario_emulator.tcp_connections
    polls_before = scenario_emulator.count(GET_JOB)
    sessions: list[aiohttp.ClientSession] = []

    async def poller() -> None:
        async with ScenarioAsyncHook(**FAST) as hook:
            sessions.append(hook.session)
            for _ in range(5):
                await hook.get_job(job_id)
                await asyncio.sleep(0.01)

    await asyncio.gather(*(poller() for _ in range(50)))

    opened = scenario_emulator.tcp_connections - before
    assert scenario_emulator.count(GET_JOB) - polls_before == 250
    assert opened <= 50  # one per concurrent request at most, far below one per poll (250)
    assert len({id(s) for s in sessions}) == 1
    assert sessions[0].closed


@pytest.mark.asyncio
async def test_hooks_on_different_connections_share_the_pool(
    scenario_emulator: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch, veo_body: Body
) -> None:
    job_id = _submit(scenario_emulator, veo_body)
    monkeypatch.setenv("AIRFLOW_CONN_SCENARIO_OTHER", scenario_emulator.airflow_connection("scenario_other"))

    async with ScenarioAsyncHook() as first, ScenarioAsyncHook(scenario_conn_id="scenario_other") as second:
        assert first.session is second.session
        jobs = await asyncio.gather(first.get_job(job_id), second.get_job(job_id))
        session = first.session
        assert not session.closed

    assert [job.job_id for job in jobs] == [job_id, job_id]
    assert session.closed


@pytest.mark.asyncio
async def test_a_new_session_after_the_last_user_left(scenario_emulator: ScenarioEmulator) -> None:
    async with ScenarioAsyncHook() as hook:
        first = hook.session
    async with ScenarioAsyncHook() as hook:
        second = hook.session
        assert second is not first
        assert not second.closed
    assert second.closed


@pytest.mark.asyncio
async def test_the_session_is_closed_when_the_polling_task_is_cancelled(
    scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    job_id = _submit(scenario_emulator, veo_body)
    scenario_emulator.inject(Fault.delay(0.5), route=GET_JOB)
    opened = asyncio.Event()
    sessions: list[aiohttp.ClientSession] = []

    async def poll() -> None:
        async with ScenarioAsyncHook() as hook:
            sessions.append(hook.session)
            opened.set()
            await hook.get_job(job_id)

    task = asyncio.create_task(poll())
    await opened.wait()
    await asyncio.sleep(0.05)  # the request is in flight, held by the delay fault
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert sessions[0].closed


def test_each_event_loop_has_its_own_session(scenario_emulator: ScenarioEmulator) -> None:
    async def session_of_this_loop() -> aiohttp.ClientSession:
        async with ScenarioAsyncHook() as hook, ScenarioAsyncHook() as other:
            assert hook.session is other.session
            return hook.session

    first = asyncio.run(session_of_this_loop())
    second = asyncio.run(session_of_this_loop())

    assert first is not second
    assert first.closed
    assert second.closed


@pytest.mark.asyncio
async def test_an_open_hook_cannot_be_entered_twice(scenario_emulator: ScenarioEmulator) -> None:
    async with ScenarioAsyncHook() as hook:
        with pytest.raises(RuntimeError, match="already open"):
            await hook.__aenter__()
        assert not hook.session.closed
