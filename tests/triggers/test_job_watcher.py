"""Coalesced polling: many triggers share one listing per interval and each gets its own outcome."""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_provider_veo.testing import EmulatorConfig, Fault
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from airflow_provider_veo.triggers.job_watch import Polling
from tests.support.jobs import first_event, submit_job

LIST = "GET /jobs"
POLL = "GET /jobs/{jobId}"


def _trigger(job_id: str, polling: Polling = Polling.COALESCED, timeout: float = 30) -> JobCompleteTrigger:
    return JobCompleteTrigger(
        job_id=job_id, end_time=time.time() + timeout, poll_interval=0.3, polling=polling
    )


async def _run_all(triggers: list[JobCompleteTrigger]) -> list[dict[str, object]]:
    return list(await asyncio.gather(*(first_event(t, timeout=40) for t in triggers)))


@pytest.mark.asyncio
async def test_every_trigger_gets_its_own_outcome_from_shared_listings(scenario_emulator_factory) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=2.0)) as emulator:
        emulator.fail_next_jobs(3, error="moderated", hint="change the prompt")
        failed = [submit_job(f"prompt {i}") for i in range(3)]
        succeeded = [submit_job(f"prompt {i}") for i in range(3, 20)]
        events = await _run_all([_trigger(job_id) for job_id in failed + succeeded])

        by_job = {event["job_id"]: event for event in events}
        assert {by_job[j]["status"] for j in failed} == {"failure"}
        assert all(by_job[j]["error"] == "moderated" for j in failed)
        assert {by_job[j]["status"] for j in succeeded} == {"success"}
        for job_id in succeeded:
            assert by_job[job_id]["asset_ids"] == emulator.job(job_id)["metadata"]["assetIds"]
        # Per-job reads: a first one and one confirmation per trigger (plus rare silences), not
        # one per interval; the listings are shared.
        assert emulator.count(POLL) <= 20 * 3
        assert 1 <= emulator.count(LIST) <= 2.0 / 0.3 + 6


@pytest.mark.asyncio
async def test_per_job_polling_lists_nothing(scenario_emulator_factory) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=1.0)) as emulator:
        jobs = [submit_job(f"prompt {i}") for i in range(3)]
        events = await _run_all([_trigger(job_id, Polling.PER_JOB) for job_id in jobs])
        assert {event["status"] for event in events} == {"success"}
        assert emulator.count(LIST) == 0
        assert emulator.count(POLL) >= 3 * 3  # about one read per trigger per interval


@pytest.mark.asyncio
async def test_a_failing_listing_falls_back_to_per_job_polling_logged_once(
    scenario_emulator_factory, caplog: pytest.LogCaptureFixture
) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=1.5)) as emulator:
        emulator.inject(Fault.status(400, body={"reason": "updatedAfter not allowed"}), route=LIST, times=100)
        jobs = [submit_job(f"prompt {i}") for i in range(5)]
        events = await _run_all([_trigger(job_id) for job_id in jobs])
        assert {event["status"] for event in events} == {"success"}
        assert emulator.count(POLL) >= 5 * 2
    fallbacks = [r for r in caplog.records if "poll their own jobs" in r.getMessage()]
    assert len(fallbacks) == 1


@pytest.mark.asyncio
async def test_a_listing_that_never_reports_a_job_is_covered_by_the_safety_net(
    scenario_emulator_factory,
) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=1.0)) as emulator:
        # The listing answers, but never with the job (e.g. an API that ignores updates).
        emulator.inject(Fault.malform(edits={"jobs": []}), route=LIST, times=1000)
        job_id = submit_job("a fox")
        (event,) = await _run_all([_trigger(job_id)])
        assert event["status"] == "success"
        assert emulator.count(LIST) >= 1


def test_polling_mode_round_trips_through_serialize() -> None:
    trigger = _trigger("job_1", Polling.PER_JOB)
    _classpath, kwargs = trigger.serialize()
    assert kwargs["polling"] == "per_job"
    assert JobCompleteTrigger(**kwargs).polling is Polling.PER_JOB
    with pytest.raises(ValueError, match="polling"):
        JobCompleteTrigger(job_id="job_1", end_time=time.time() + 5, polling="sometimes")
