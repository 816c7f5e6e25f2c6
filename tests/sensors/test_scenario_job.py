"""ScenarioJobSensor against the emulator, in poke and deferrable modes."""

from __future__ import annotations

import asyncio
import time

import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

from airflow_provider_veo.exceptions import (
    InvalidTriggerEventError,
    ScenarioJobCanceledError,
    ScenarioJobFailedError,
)
from airflow_provider_veo.sensors.scenario_job import ScenarioJobSensor
from airflow_provider_veo.testing import EmulatorConfig
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from tests.support.context import task_context
from tests.support.jobs import first_event, submit_job


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
        assert context["ti"].xcom["job_url"] == f"https://app.scenario.com/jobs/{job_id}"

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


class TestDeferrable:
    def test_defers_on_the_same_trigger_and_completes_with_asset_ids(self, scenario_emulator) -> None:
        job_id = submit_job()
        before = time.time()
        with pytest.raises(TaskDeferred) as deferred:
            sensor(job_id, deferrable=True, timeout=600, poke_interval=0.2).execute(task_context())

        trigger = deferred.value.trigger
        assert isinstance(trigger, JobCompleteTrigger)
        assert (trigger.job_id, trigger.poll_interval) == (job_id, 0.2)
        assert before + 600 <= trigger.end_time <= time.time() + 600
        assert deferred.value.timeout is None

        event = asyncio.run(first_event(trigger))
        asset_ids = sensor(job_id, deferrable=True).execute_complete(task_context(), event=event)
        assert asset_ids == scenario_emulator.job(job_id)["metadata"]["assetIds"]

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
