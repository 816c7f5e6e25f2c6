"""Veo31GenerateOperator against the emulator, over HTTP: submit, wait, defer, images, cost, outcomes."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from airflow.sdk import ObjectStoragePath
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_veo.exceptions import (
    CostLimitExceededError,
    InvalidTriggerEventError,
    ScenarioJobCanceledError,
    ScenarioJobFailedError,
    ScenarioJobTimeoutError,
)
from airflow_provider_veo.testing import EmulatorConfig, Fault, make_png
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from tests.support.context import task_context
from tests.support.jobs import first_event
from tests.support.logs import captured_logs
from tests.support.operators import generate

SUBMIT = "POST /generate/custom/{modelId}"
POLL = "GET /jobs/{jobId}"
CANCEL = "POST /jobs/{jobId}/action"


class TestSubmit:
    def test_without_waiting_returns_the_job_id_and_pushes_id_and_url(self, scenario_emulator) -> None:
        context = task_context()
        job_id = generate(wait_for_completion=False).execute(context)

        assert scenario_emulator.paid_submissions == 1
        assert scenario_emulator.job_ids() == [job_id]
        assert scenario_emulator.count(POLL) == 0
        job_url = f"{scenario_emulator.origin}/app/jobs/{job_id}"  # the emulator's job page
        assert context["ti"].xcom == {"job_id": job_id, "job_url": job_url}

    def test_sends_every_parameter_in_camel_case(self, scenario_emulator) -> None:
        first = scenario_emulator.create_image_asset()
        last = scenario_emulator.create_image_asset()
        job_id = generate(
            image=first,
            last_frame_image=last,
            negative_prompt="blur",
            resolution="1080p",
            generate_audio=False,
            aspect_ratio="9:16",
            duration=6,
            seed=7,
            wait_for_completion=False,
        ).execute(task_context())

        assert scenario_emulator.job(job_id)["metadata"]["input"] == {
            "prompt": "a fox in the snow, cinematic",
            "image": first,
            "lastFrameImage": last,
            "negativePrompt": "blur",
            "resolution": "1080p",
            "generateAudio": False,
            "aspectRatio": "9:16",
            "duration": 6,
            "seed": 7,
        }


class TestWait:
    def test_success_returns_ids_and_cost(self, scenario_emulator) -> None:
        context = task_context()
        with captured_logs() as logs:
            result = generate().execute(context)

        job = scenario_emulator.job(result["job_id"])
        assert result == {
            "job_id": job["jobId"],
            "status": "success",
            "asset_ids": job["metadata"]["assetIds"],
            "cost": float(job["billing"]["cuCost"]),
        }
        assert result["asset_ids"]
        # An empty link first (the link never looks up a missing XCom), then the job's id and page.
        assert context["ti"].pushes == ["job_url", "job_id", "job_url"]
        assert context["ti"].xcom["job_url"].endswith(f"/jobs/{job['jobId']}")
        assert any(f"cost {job['billing']['cuCost']:g} creative units" in m for m in logs.messages())
        assert any(f"Scenario job {job['jobId']}: in-progress" in m for m in logs.messages())

    def test_failure_raises_with_the_api_error_and_hint(self, scenario_emulator) -> None:
        scenario_emulator.fail_next_jobs(1, error="Content moderated", hint="Rephrase the prompt")
        with pytest.raises(ScenarioJobFailedError) as raised:
            generate().execute(task_context())

        assert raised.value.error == "Content moderated"
        assert raised.value.hint == "Rephrase the prompt"
        assert raised.value.job_id == scenario_emulator.job_ids()[0]

    def test_timeout_raises_and_leaves_the_job_running(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(job_duration=5.0)) as emu:
            started = time.monotonic()
            with pytest.raises(ScenarioJobTimeoutError) as raised:
                generate(timeout=0.3).execute(task_context())

            assert time.monotonic() - started < 2.5
            assert raised.value.status in {"queued", "warming-up", "in-progress"}
            assert emu.job(raised.value.job_id)["status"] not in {"success", "canceled"}

    def test_status_is_rechecked_at_the_deadline(self, scenario_emulator) -> None:
        result = generate(timeout=1.3, poll_interval=30).execute(task_context())

        assert result["status"] == "success"
        assert scenario_emulator.count(POLL) == 2

    def test_rides_out_transient_errors_while_polling(self, scenario_emulator) -> None:
        scenario_emulator.inject(Fault.status(429, retry_after=0.1), route=POLL, times=1)
        scenario_emulator.inject(Fault.status(503), route=POLL, times=1)
        scenario_emulator.inject(Fault.reset(), route=POLL, times=1)
        result = generate().execute(task_context())

        assert result["status"] == "success"
        assert scenario_emulator.paid_submissions == 1
        assert scenario_emulator.count(POLL) >= 4

    def test_on_kill_cancels_when_the_api_allows_it(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(job_duration=5.0, allow_cancel=True)) as emu:
            op = generate()
            outcome: list[BaseException] = []

            def run() -> None:
                try:
                    op.execute(task_context())
                except BaseException as error:
                    outcome.append(error)

            worker = threading.Thread(target=run)
            worker.start()
            deadline = time.monotonic() + 5
            while op.job_id is None and time.monotonic() < deadline:
                time.sleep(0.02)
            op.on_kill()
            worker.join(5)

            assert isinstance(outcome[0], ScenarioJobCanceledError)
            assert emu.job(op.job_id)["status"] == "canceled"

    def test_on_kill_says_plainly_when_the_job_goes_on(self, scenario_emulator) -> None:
        op = generate(wait_for_completion=False)
        job_id = op.execute(task_context())
        with captured_logs() as logs:
            op.on_kill()

        assert any(
            f"refused to cancel job {job_id}" in m and "credits are spent" in m
            for m in logs.messages("warning")
        )
        assert scenario_emulator.job(job_id)["status"] != "canceled"

    def test_on_kill_sends_a_failing_cancel_once(self, scenario_emulator) -> None:
        op = generate(wait_for_completion=False)
        job_id = op.execute(task_context())
        scenario_emulator.inject(Fault.status(503), route=CANCEL, times=5)
        with captured_logs() as logs:
            op.on_kill()

        assert scenario_emulator.count(CANCEL) == 1  # no retry, no backoff in the kill grace period
        assert any(
            f"Could not cancel Scenario job {job_id}" in m and "HTTP 503" in m
            for m in logs.messages("warning")
        )

    def test_on_kill_gives_up_on_a_hanging_cancel_after_cancel_timeout(self, scenario_emulator) -> None:
        op = generate(wait_for_completion=False)
        job_id = op.execute(task_context())
        op.cancel_timeout = 0.2
        scenario_emulator.inject(Fault.delay(1.0), route=CANCEL)
        started = time.monotonic()
        with captured_logs() as logs:
            op.on_kill()

        assert time.monotonic() - started < 0.9  # did not wait for the answer
        assert scenario_emulator.count(CANCEL) == 1
        assert any(f"Could not cancel Scenario job {job_id}" in m for m in logs.messages("warning"))


class TestCostGuard:
    def test_refuses_to_submit_above_the_limit(self, scenario_emulator) -> None:
        op = generate(duration=8, resolution="1080p", max_creative_units=50)
        with pytest.raises(CostLimitExceededError) as raised:
            op.execute(task_context())

        assert raised.value.limit == 50
        assert raised.value.estimate > 50
        assert f"{raised.value.estimate:g} creative units" in str(raised.value)
        assert scenario_emulator.paid_submissions == 0
        assert scenario_emulator.count(SUBMIT) == 1  # the dry run only

    def test_submits_within_the_limit(self, scenario_emulator) -> None:
        result = generate(max_creative_units=1000).execute(task_context())

        assert scenario_emulator.paid_submissions == 1
        assert scenario_emulator.count(SUBMIT) == 2  # dry run, then the paid submission
        assert result["cost"] == scenario_emulator.job(result["job_id"])["billing"]["cuCost"]


class TestImageInputs:
    def test_asset_ids_are_sent_as_is(self, scenario_emulator) -> None:
        refs = [scenario_emulator.create_image_asset() for _ in range(2)]
        job_id = generate(reference_images=refs, duration=8, wait_for_completion=False).execute(
            task_context()
        )

        assert scenario_emulator.count("POST /assets") == 0
        assert scenario_emulator.job(job_id)["metadata"]["input"]["referenceImages"] == refs

    def test_paths_and_object_storage_paths_are_uploaded_first(self, scenario_emulator, tmp_path) -> None:
        first = tmp_path / "first.png"
        first.write_bytes(make_png(1280, 720))
        last = tmp_path / "last.png"
        last.write_bytes(make_png(1280, 720, rgb=(200, 10, 10)))
        op = generate(
            image=first, last_frame_image=ObjectStoragePath(f"file://{last}"), wait_for_completion=False
        )
        job_id = op.execute(task_context())

        sent = scenario_emulator.job(job_id)["metadata"]["input"]
        assert scenario_emulator.count("POST /assets") == 2
        assert sent["image"].startswith("asset_")
        assert sent["lastFrameImage"].startswith("asset_")
        assert sent["image"] != sent["lastFrameImage"]

    def test_reference_images_mix_uris_and_asset_ids(self, scenario_emulator, tmp_path) -> None:
        existing = scenario_emulator.create_image_asset()
        style = tmp_path / "style.png"
        style.write_bytes(make_png(1280, 720))
        job_id = generate(
            reference_images=[existing, f"file://{style}"],
            reference_images_type="STYLE",
            duration=8,
            wait_for_completion=False,
        ).execute(task_context())

        sent = scenario_emulator.job(job_id)["metadata"]["input"]["referenceImages"]
        assert scenario_emulator.count("POST /assets") == 1
        assert sent[0] == existing
        assert sent[1].startswith("asset_")
        assert sent[1] != existing


class TestDeferrable:
    def test_defers_to_the_trigger_after_pushing_id_and_url(self, scenario_emulator) -> None:
        context = task_context()
        before = time.time()
        with pytest.raises(TaskDeferred) as deferred:
            generate(deferrable=True, timeout=600, poll_interval=5).execute(context)

        trigger = deferred.value.trigger
        job_id = scenario_emulator.job_ids()[0]
        assert isinstance(trigger, JobCompleteTrigger)
        assert deferred.value.method_name == "execute_complete"
        assert deferred.value.timeout is None  # the deadline is the trigger's, not Airflow's
        assert trigger.job_id == job_id
        assert trigger.poll_interval == 5
        assert before + 600 <= trigger.end_time <= time.time() + 600
        assert context["ti"].xcom["job_id"] == job_id
        assert scenario_emulator.count(POLL) == 1  # the one check before deferring

    def test_the_trigger_event_completes_a_fresh_operator(self, scenario_emulator) -> None:
        with pytest.raises(TaskDeferred) as deferred:
            generate(deferrable=True).execute(task_context())
        event = asyncio.run(first_event(deferred.value.trigger))

        result = generate(deferrable=True).execute_complete(task_context(), event=event)  # a new instance
        job = scenario_emulator.job(result["job_id"])
        assert result["asset_ids"] == job["metadata"]["assetIds"]
        assert result["cost"] == job["billing"]["cuCost"]

    def test_an_already_finished_job_is_handled_without_deferring(self, scenario_emulator_factory) -> None:
        with scenario_emulator_factory(EmulatorConfig(job_duration=0.0)) as emu:
            result = generate(deferrable=True).execute(task_context())

            assert result["status"] == "success"
            assert result["asset_ids"] == emu.job(result["job_id"])["metadata"]["assetIds"]

    @pytest.mark.parametrize(
        ("event", "exception"),
        [
            (None, InvalidTriggerEventError),
            ({"status": "done", "job_id": "job_1"}, InvalidTriggerEventError),
            (
                {"status": "failure", "job_id": "job_1", "error": "moderated", "hint": "h"},
                ScenarioJobFailedError,
            ),
            ({"status": "canceled", "job_id": "job_1"}, ScenarioJobCanceledError),
            ({"status": "timeout", "job_id": "job_1", "job_status": "in-progress"}, ScenarioJobTimeoutError),
        ],
    )
    def test_execute_complete_never_passes_a_bad_event(self, event, exception) -> None:
        with pytest.raises(exception):
            generate(deferrable=True).execute_complete(task_context(), event=event)
