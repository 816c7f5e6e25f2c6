"""JobCompleteTrigger against the emulator, over HTTP."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest
from airflow.sdk._shared.module_loading import import_string
from airflow.sdk.serde import deserialize, serialize

from airflow_provider_veo.testing import EmulatorConfig, Fault
from airflow_provider_veo.testing.pytest_plugin import CONNECTION_ENV
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from airflow_provider_veo.triggers.job_event import validate_job_event
from tests.support.jobs import first_event, submit_job
from tests.support.logs import captured_logs
from tests.support.stub_api import serve_job

JOB_ROUTE = "GET /jobs/{jobId}"
CANCEL_ROUTE = "POST /jobs/{jobId}/action"


def make_trigger(job_id: str, *, within: float = 10.0, **kwargs: object) -> JobCompleteTrigger:
    kwargs.setdefault("poll_interval", 0.1)
    return JobCompleteTrigger(job_id=job_id, end_time=time.time() + within, **kwargs)  # type: ignore[arg-type]


class TestSerialize:
    def test_holds_only_ids_settings_and_an_epoch_deadline(self) -> None:
        trigger = JobCompleteTrigger(
            job_id="job_1",
            end_time=1_900_000_000.5,
            scenario_conn_id="my_scenario",
            project_id="proj_1",
            poll_interval=15,
            try_number=2,
        )
        assert trigger.serialize() == (
            "airflow_provider_veo.triggers.job_complete.JobCompleteTrigger",
            {
                "job_id": "job_1",
                "end_time": 1_900_000_000.5,
                "scenario_conn_id": "my_scenario",
                "project_id": "proj_1",
                "poll_interval": 15.0,
                "max_consecutive_failures": 5,
                "polling": "coalesced",
                "label": None,
                "try_number": 2,
            },
        )

    def test_round_trips_through_airflow_serde(self) -> None:
        classpath, kwargs = make_trigger("job_1", project_id="proj_1").serialize()
        rebuilt = import_string(classpath)(**deserialize(serialize(kwargs)))
        assert rebuilt.serialize() == (classpath, kwargs)

    @pytest.mark.asyncio
    async def test_carries_no_credentials_after_using_them(self, scenario_emulator) -> None:
        trigger = make_trigger(submit_job())
        payload = await first_event(trigger)  # resolved the connection and polled with it
        assert payload["status"] == "success"
        assert scenario_emulator.count(JOB_ROUTE) >= 1

        key, secret = scenario_emulator.api_key, scenario_emulator.api_secret
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        text = repr(trigger) + repr(trigger.serialize()) + repr(vars(trigger))
        for credential in (key, secret, token):
            assert credential not in text

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"poll_interval": 0}, "poll_interval"),
            ({"max_consecutive_failures": 0}, "max_consecutive_failures"),
            ({"polling": "sometimes"}, "polling must be one of 'coalesced', 'per_job'"),
        ],
    )
    def test_rejects_nonsense_settings(self, kwargs: dict[str, object], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            make_trigger("job_1", **kwargs)


class TestOutcomes:
    @pytest.mark.asyncio
    async def test_success_carries_asset_ids_and_cost(self, scenario_emulator) -> None:
        job_id = submit_job()
        payload = await first_event(make_trigger(job_id, try_number=3))

        job = scenario_emulator.job(job_id)
        assert payload["status"] == "success"
        assert payload["try_number"] == 3  # the deferring try, for the stale-event guard
        assert payload["job_id"] == job_id
        assert payload["asset_ids"] == job["metadata"]["assetIds"] != []
        assert payload["cost"] == job["billing"]["cuCost"] > 0
        assert validate_job_event(payload).result()["asset_ids"] == job["metadata"]["assetIds"]

    @pytest.mark.asyncio
    async def test_failure_carries_the_api_error_and_hint(self, scenario_emulator) -> None:
        scenario_emulator.fail_next_jobs(1, error="Content moderated", hint="Rephrase the prompt")
        job_id = submit_job()
        payload = await first_event(make_trigger(job_id))

        assert payload["status"] == "failure"
        assert payload["job_status"] == "failure"
        assert payload["error"] == "Content moderated"
        assert payload["hint"] == "Rephrase the prompt"
        assert payload["asset_ids"] == []

    @pytest.mark.asyncio
    async def test_canceled(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(job_duration=5.0, allow_cancel=True)) as emu:
            job_id = submit_job()
            trigger = make_trigger(job_id)
            waiting = asyncio.ensure_future(first_event(trigger))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            await make_trigger(job_id).on_kill()  # a user killed the deferred task
            payload = await waiting

            assert payload["status"] == "canceled"
            assert emu.job(job_id)["status"] == "canceled"

    @pytest.mark.asyncio
    async def test_already_finished_job_answers_at_the_first_poll(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(job_duration=0.0)) as emu:
            job_id = submit_job()
            payload = await first_event(make_trigger(job_id, poll_interval=30))

            assert payload["status"] == "success"
            assert emu.count(JOB_ROUTE) == 1

    @pytest.mark.asyncio
    async def test_timeout_reports_the_last_status(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(job_duration=5.0)) as emu:
            job_id = submit_job()
            started = time.monotonic()
            payload = await first_event(make_trigger(job_id, within=0.3))

            assert payload["status"] == "timeout"
            assert payload["job_status"] in {"queued", "warming-up", "in-progress"}
            assert 0.25 <= time.monotonic() - started < 2.5  # never slept past the deadline
            assert emu.job(job_id)["status"] not in {"success", "failure", "canceled"}

    @pytest.mark.asyncio
    async def test_status_is_rechecked_at_the_deadline(self, scenario_emulator) -> None:
        # The job (1 s) finishes between the first poll and the deadline (1.3 s); with a 30 s interval
        # the only other poll is the re-check at the deadline, which must see the success.
        job_id = submit_job()
        payload = await first_event(make_trigger(job_id, within=1.3, poll_interval=30, polling="per_job"))

        assert payload["status"] == "success"
        assert scenario_emulator.count(JOB_ROUTE) == 2

    @pytest.mark.asyncio
    async def test_coalesced_reads_its_own_job_only_at_the_deadline_when_nothing_was_listed(
        self, scenario_emulator
    ) -> None:
        job_id = submit_job()
        payload = await first_event(make_trigger(job_id, within=1.3, poll_interval=30))

        assert payload["status"] == "success"
        assert scenario_emulator.count(JOB_ROUTE) == 1  # no listing in 1.3 s: the deadline read

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("answer", "field"),
        [
            ({"status": "success", "progress": 1.0, "metadata": {"assetIds": ["asset_a"]}}, "job.jobId"),
            ({"jobId": "job_1", "status": "success", "progress": 1.0, "metadata": {}}, "job.metadata"),
            ({"jobId": "job_other", "status": "success", "metadata": {"assetIds": ["a"]}}, "job.jobId"),
        ],
    )
    async def test_a_malformed_answer_is_never_a_success(self, monkeypatch, answer, field) -> None:
        # Hardening: an answer without its jobId, about another job, or a success naming no asset is a
        # ScenarioProtocolError at the hook: ridden out like a transient failure, then one error event.
        async with serve_job(answer) as connection:  # the emulator always answers well-formed jobs
            monkeypatch.setenv(CONNECTION_ENV, connection)
            trigger = make_trigger("job_1", max_consecutive_failures=2, polling="per_job")  # stub: no listing
            events = [event.payload async for event in trigger.run()]

        assert len(events) == 1
        assert (events[0]["status"], events[0]["job_id"], events[0]["asset_ids"]) == ("error", "job_1", [])
        assert events[0]["permanent"] is False
        assert "2 polls in a row failed" in events[0]["message"]
        assert "malformed answer" in events[0]["message"]
        assert field in events[0]["message"]

    @pytest.mark.asyncio
    async def test_a_deadline_already_past_still_checks_once(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(job_duration=0.0)) as emu:
            job_id = submit_job()
            payload = await first_event(make_trigger(job_id, within=-60))

            assert payload["status"] == "success"
            assert emu.count(JOB_ROUTE) == 1


class TestTransientErrors:
    @pytest.mark.asyncio
    async def test_rides_out_429_5xx_and_resets(self, scenario_emulator) -> None:
        job_id = submit_job()
        scenario_emulator.inject(Fault.status(429, retry_after=0.2), route=JOB_ROUTE, times=2)
        scenario_emulator.inject(Fault.status(503), route=JOB_ROUTE, times=2)
        scenario_emulator.inject(Fault.reset(), route=JOB_ROUTE, times=2)
        with captured_logs() as logs:
            payload = await first_event(make_trigger(job_id))

        assert payload["status"] == "success"
        assert scenario_emulator.count(JOB_ROUTE) >= 7  # 6 refused requests, then at least one answer
        assert any("will try again" in m for m in logs.messages("warning"))

    @pytest.mark.asyncio
    async def test_gives_up_after_the_budget_of_consecutive_failures(self, scenario_emulator) -> None:
        job_id = submit_job()
        scenario_emulator.inject(Fault.status(503), route=JOB_ROUTE, times=100)
        # Per-job polling: every poll is a GET /jobs/{id} (coalesced listings would succeed meanwhile).
        payload = await first_event(make_trigger(job_id, max_consecutive_failures=2, polling="per_job"))

        assert payload["status"] == "error"
        assert "2 polls in a row failed" in payload["message"]
        assert "HTTP 503" in payload["message"]
        # 2 polls, each retried once by the hook.
        assert scenario_emulator.count(JOB_ROUTE) == 4

    @pytest.mark.asyncio
    async def test_an_unknown_job_is_an_error_at_once(self, scenario_emulator) -> None:
        payload = await first_event(make_trigger("job_doesnotexist"))

        assert payload["status"] == "error"
        assert payload["permanent"] is True  # a retry of the task cannot make the job exist
        assert "ScenarioNotFoundError" in payload["message"]
        assert scenario_emulator.count(JOB_ROUTE) == 1

    @pytest.mark.asyncio
    async def test_a_missing_connection_is_an_error_event(self, scenario_emulator) -> None:
        payload = await first_event(make_trigger("job_1", scenario_conn_id="no_such_connection"))

        assert payload["status"] == "error"
        assert "no_such_connection" in payload["message"]
        assert scenario_emulator.count(JOB_ROUTE) == 0


class TestPolling:
    @pytest.mark.asyncio
    async def test_logs_status_and_progress_changes_only(self, scenario_emulator) -> None:
        job_id = submit_job()
        with captured_logs() as logs:
            await first_event(make_trigger(job_id, poll_interval=0.05, polling="per_job"))

        progress = [m for m in logs.messages("info") if m.startswith(f"Scenario job {job_id}: ")]
        assert progress[0] == f"Scenario job {job_id}: queued 0%"
        assert any(m.startswith(f"Scenario job {job_id}: in-progress ") for m in progress)
        assert progress[-1] == f"Scenario job {job_id}: success 100%"
        assert len(progress) == len(set(progress))  # one line per change, not per poll
        assert len(progress) < scenario_emulator.count(JOB_ROUTE)

    @pytest.mark.asyncio
    async def test_many_triggers_share_one_connection_pool(self, scenario_emulator) -> None:
        job_ids = [submit_job(f"scene {i}") for i in range(10)]
        connections_before = scenario_emulator.tcp_connections
        triggers = [make_trigger(job_id, polling="per_job") for job_id in job_ids]  # many requests
        payloads = await asyncio.gather(*(first_event(trigger) for trigger in triggers))

        assert {p["status"] for p in payloads} == {"success"}
        polls = scenario_emulator.count(JOB_ROUTE)
        connections = scenario_emulator.tcp_connections - connections_before
        assert polls >= 10 * 5
        assert connections <= 10  # at most one per concurrent request, reused across polls
        assert connections < polls / 4

    @pytest.mark.asyncio
    async def test_a_trigger_rebuilt_from_serialize_resumes_the_same_job(self, scenario_emulator) -> None:
        job_id = submit_job()
        original = make_trigger(job_id)
        first_run = asyncio.ensure_future(first_event(original))
        await asyncio.sleep(0.3)
        first_run.cancel()  # the triggerer stopped; another one picks the trigger up
        with pytest.raises(asyncio.CancelledError):
            await first_run
        polls_before = scenario_emulator.count(JOB_ROUTE)

        classpath, kwargs = original.serialize()
        payload = await first_event(import_string(classpath)(**kwargs))

        assert payload["status"] == "success"
        assert payload["job_id"] == job_id
        assert scenario_emulator.count(JOB_ROUTE) > polls_before
        assert scenario_emulator.paid_submissions == 1


class TestOnKill:
    @pytest.mark.asyncio
    async def test_a_refused_cancel_is_logged_plainly(self, scenario_emulator) -> None:
        job_id = submit_job()
        with captured_logs() as logs:
            await make_trigger(job_id).on_kill()

        assert any(
            f"refused to cancel job {job_id}" in m and "credits are spent" in m
            for m in logs.messages("warning")
        )
        assert scenario_emulator.count(CANCEL_ROUTE) == 1
        assert scenario_emulator.job(job_id)["status"] != "canceled"

    @pytest.mark.asyncio
    async def test_a_failing_cancel_is_sent_once(self, scenario_emulator) -> None:
        job_id = submit_job()
        scenario_emulator.inject(Fault.status(503), route=CANCEL_ROUTE, times=5)
        with captured_logs() as logs:
            await make_trigger(job_id).on_kill()

        assert scenario_emulator.count(CANCEL_ROUTE) == 1  # no retry, no backoff
        assert any(
            f"Could not cancel Scenario job {job_id}" in m and "HTTP 503" in m
            for m in logs.messages("warning")
        )

    @pytest.mark.asyncio
    async def test_a_hanging_cancel_is_abandoned_after_cancel_timeout(self, scenario_emulator) -> None:
        job_id = submit_job()
        scenario_emulator.inject(Fault.delay(1.0), route=CANCEL_ROUTE)
        trigger = make_trigger(job_id)
        trigger.cancel_timeout = 0.2
        started = time.monotonic()
        with captured_logs() as logs:
            await trigger.on_kill()

        assert time.monotonic() - started < 0.9  # did not wait for the answer
        assert any(
            f"Could not cancel Scenario job {job_id}" in m and "no answer within 0.2 s" in m
            for m in logs.messages("warning")
        )

    @pytest.mark.asyncio
    async def test_cleanup_does_not_cancel(self, scenario_emulator) -> None:
        job_id = submit_job()
        await make_trigger(job_id).cleanup()

        assert scenario_emulator.count(CANCEL_ROUTE) == 0
