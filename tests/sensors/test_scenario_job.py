"""ScenarioJobSensor against the emulator, in poke and deferrable modes."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

from airflow_provider_veo.exceptions import (
    InvalidTriggerEventError,
    ScenarioError,
    ScenarioJobCanceledError,
    ScenarioJobFailedError,
    ScenarioNotFoundError,
    ScenarioPermissionError,
)
from airflow_provider_veo.links.scenario_job import JOB_URL_XCOM_KEY
from airflow_provider_veo.sensors.scenario_job import ScenarioJobSensor
from airflow_provider_veo.testing import EmulatorConfig, Fault
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from tests.support.context import task_context
from tests.support.jobs import first_event, submit_job
from tests.support.logs import captured_logs

JOB_ROUTE = "GET /jobs/{jobId}"


def sensor(job_id: str, **kwargs: object) -> ScenarioJobSensor:
    params: dict[str, object] = {"task_id": "wait", "job_id": job_id, "poke_interval": 0.1, "timeout": 10}
    params.update(kwargs)
    return ScenarioJobSensor(**params)  # type: ignore[arg-type]


class TestPoke:
    def test_returns_the_asset_ids(self, scenario_emulator) -> None:
        job_id = submit_job()
        context = task_context()
        asset_ids = sensor(job_id).execute(context)

        assert asset_ids == scenario_emulator.job(job_id)["metadata"]["assetIds"] != []
        assert context["ti"].xcom[JOB_URL_XCOM_KEY] == f"{scenario_emulator.origin}/app/jobs/{job_id}"

    def test_a_failed_job_raises_with_error_and_hint(self, scenario_emulator) -> None:
        scenario_emulator.fail_next_jobs(1, error="Content moderated", hint="Rephrase the prompt")
        job_id = submit_job()
        with pytest.raises(ScenarioJobFailedError) as raised:
            sensor(job_id).execute(task_context())

        assert (raised.value.error, raised.value.hint) == ("Content moderated", "Rephrase the prompt")

    def test_times_out_like_any_sensor(self, scenario_emulator) -> None:
        with pytest.raises(AirflowSensorTimeout):
            sensor(submit_job(), timeout=0.2).execute(task_context())

    def test_job_id_is_templated(self, scenario_emulator) -> None:
        job_id = submit_job()
        op = sensor("{{ params.job }}")
        op.render_template_fields({"params": {"job": job_id}})

        assert op.execute(task_context()) == scenario_emulator.job(job_id)["metadata"]["assetIds"]


class TestPokeErrors:
    def test_rides_out_transient_errors_across_pokes(self, scenario_emulator) -> None:
        job_id = submit_job()
        # Each poke's request is retried once by the hook: 2 refused requests fail one poke, so
        # these faults fail 3 pokes in a row, within a budget of 4.
        scenario_emulator.inject(Fault.status(503), route=JOB_ROUTE, times=2)
        scenario_emulator.inject(Fault.status(429, retry_after=0.05), route=JOB_ROUTE, times=2)
        scenario_emulator.inject(Fault.reset(), route=JOB_ROUTE, times=2)
        with captured_logs() as logs:
            asset_ids = sensor(job_id, max_consecutive_failures=4).execute(task_context())

        assert asset_ids == scenario_emulator.job(job_id)["metadata"]["assetIds"] != []
        counts = re.findall(r"\((\d/\d) in a row\), will try again", logs.text())
        assert counts == ["1/4", "2/4", "3/4"]

    def test_a_good_poke_resets_the_budget(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(job_duration=5.0)) as emu:
            job_id = submit_job()
            op = sensor(job_id, max_consecutive_failures=2)
            emu.inject(Fault.status(502), route=JOB_ROUTE, times=2)
            assert not op.poke(task_context())  # 1 failure of 2
            assert not op.poke(task_context())  # a good poke: the count starts again
            emu.inject(Fault.status(502), route=JOB_ROUTE, times=2)
            assert not op.poke(task_context())  # 1 failure of 2, not 2 of 2

            assert op.poller.consecutive_failures == 1

    def test_gives_up_after_the_budget_of_consecutive_failures(self, scenario_emulator) -> None:
        job_id = submit_job()
        scenario_emulator.inject(Fault.status(503), route=JOB_ROUTE, times=100)
        with pytest.raises(ScenarioError, match=r"2 polls in a row failed.*HTTP 503"):
            sensor(job_id, max_consecutive_failures=2).execute(task_context())

        assert scenario_emulator.count(JOB_ROUTE) == 4  # 2 pokes, each retried once by the hook

    @pytest.mark.parametrize(
        ("fault", "exception"),
        [(Fault.status(403), ScenarioPermissionError), (Fault.status(404), ScenarioNotFoundError)],
    )
    def test_other_errors_fail_at_once(self, scenario_emulator, fault, exception) -> None:
        job_id = submit_job()
        scenario_emulator.inject(fault, route=JOB_ROUTE, times=10)
        with pytest.raises(exception):
            sensor(job_id, max_consecutive_failures=5).execute(task_context())

        assert scenario_emulator.count(JOB_ROUTE) == 1

    def test_each_rescheduled_poke_starts_a_fresh_count(self, scenario_emulator) -> None:
        # In reschedule mode every poke runs on a new instance: nothing carries the count over.
        job_id = submit_job()
        scenario_emulator.inject(Fault.status(503), route=JOB_ROUTE, times=6)
        for _ in range(3):
            op = sensor(job_id, mode="reschedule", max_consecutive_failures=2)
            assert not op.poke(task_context())
            assert op.poller.consecutive_failures == 1

    @pytest.mark.parametrize("budget", [0, -1, True])
    def test_the_budget_must_be_at_least_one(self, budget: int) -> None:
        with pytest.raises(ValueError, match="max_consecutive_failures"):
            sensor("job_1", max_consecutive_failures=budget)


class TestDeferrable:
    def test_defers_on_the_same_trigger_and_completes_with_asset_ids(self, scenario_emulator) -> None:
        job_id = submit_job()
        before = time.time()
        with pytest.raises(TaskDeferred) as deferred:
            sensor(job_id, deferrable=True, timeout=600, poke_interval=0.2).execute(task_context())

        trigger = deferred.value.trigger
        assert isinstance(trigger, JobCompleteTrigger)
        assert (trigger.job_id, trigger.poll_interval) == (job_id, 0.2)
        assert trigger.max_consecutive_failures == 5
        assert before + 600 <= trigger.end_time <= time.time() + 600
        assert deferred.value.timeout is None

        event = asyncio.run(first_event(trigger))
        asset_ids = sensor(job_id, deferrable=True).execute_complete(task_context(), event=event)
        assert asset_ids == scenario_emulator.job(job_id)["metadata"]["assetIds"]

    def test_the_budget_of_failures_goes_to_the_trigger(self, scenario_emulator) -> None:
        job_id = submit_job()
        scenario_emulator.inject(Fault.status(503), route=JOB_ROUTE, times=2)  # the first check fails
        with pytest.raises(TaskDeferred) as deferred:
            sensor(job_id, deferrable=True, max_consecutive_failures=3).execute(task_context())

        trigger = deferred.value.trigger
        assert isinstance(trigger, JobCompleteTrigger)
        assert trigger.max_consecutive_failures == 3

    def test_a_finished_job_needs_no_deferral(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(job_duration=0.0)) as emu:
            job_id = submit_job()
            asset_ids = sensor(job_id, deferrable=True).execute(task_context())

            assert asset_ids == emu.job(job_id)["metadata"]["assetIds"]

    @pytest.mark.parametrize(
        ("event", "exception"),
        [
            (None, InvalidTriggerEventError),
            ({"status": "timeout", "job_id": "job_1", "job_status": "in-progress"}, AirflowSensorTimeout),
            ({"status": "canceled", "job_id": "job_1"}, ScenarioJobCanceledError),
            ({"status": "failure", "job_id": "job_1", "error": "moderated"}, ScenarioJobFailedError),
        ],
    )
    def test_execute_complete_maps_every_outcome(self, event, exception) -> None:
        with pytest.raises(exception):
            sensor("job_1", deferrable=True).execute_complete(task_context(), event=event)
