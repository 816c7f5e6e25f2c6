"""Never paying twice: a retry resumes the job recorded in the Task SDK's task_state_store.

Each try gets its own real ``TaskStateStoreAccessor`` (as the task runner builds it) over one
in-memory task state, which persists across tries like the metadata DB (see tests/support/task_state.py).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_veo.exceptions import (
    AmbiguousSubmissionError,
    ScenarioJobTimeoutError,
    ScenarioPermissionError,
    SubmissionOutcomeUnknownError,
)
from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.testing import Fault, make_png
from tests.support.context import task_context
from tests.support.logs import captured_logs
from tests.support.operators import generate
from tests.support.task_state import InMemoryTaskState

POLL = "GET /jobs/{jobId}"
KEY = Veo31GenerateOperator.job_state_key


def run_try(state: InMemoryTaskState, op: Veo31GenerateOperator):
    with state.accessor() as store:
        context = task_context(store)
        return op.execute(context), context


def test_a_retry_after_a_failed_wait_resumes_the_same_job(scenario_emulator) -> None:
    state = InMemoryTaskState()
    with pytest.raises(ScenarioJobTimeoutError) as first_try:  # the wait dies after the submission
        run_try(state, generate(timeout=0.2))
    submitted = first_try.value.job_id
    assert state.values[KEY]["job_id"] == submitted  # recorded before waiting

    with captured_logs() as logs:
        result, context = run_try(state, generate())  # a fresh operator, as on a real retry

    assert scenario_emulator.paid_submissions == 1
    assert result["job_id"] == submitted
    assert result["status"] == "success"
    assert context["ti"].xcom["job_id"] == submitted
    assert any(f"Resuming job {submitted}" in m for m in logs.messages())
    # First the attempt (claimed by this run, with its body), then the job that replaced it.
    (_, attempt), (_, job) = state.writes
    assert "job_id" not in attempt
    assert attempt["attempt"]["body"]["prompt"] == "a fox in the snow, cinematic"
    assert job == {"request_sha256": attempt["request_sha256"], "job_id": submitted}


def test_a_job_that_already_succeeded_is_returned_without_submitting_or_waiting(scenario_emulator) -> None:
    state = InMemoryTaskState()
    first, _ = run_try(state, generate())
    polls = scenario_emulator.count(POLL)

    second, context = run_try(state, generate(poll_interval=30))

    assert second == first
    assert scenario_emulator.paid_submissions == 1
    assert scenario_emulator.count(POLL) == polls + 1  # one look at the recorded job
    assert context["ti"].xcom["job_id"] == first["job_id"]


def test_a_job_that_failed_is_submitted_anew(scenario_emulator) -> None:
    state = InMemoryTaskState()
    scenario_emulator.fail_next_jobs(1, error="Internal error")
    with pytest.raises(Exception, match="Internal error"):
        run_try(state, generate())
    failed = state.values[KEY]["job_id"]

    result, _ = run_try(state, generate())

    assert scenario_emulator.paid_submissions == 2
    assert result["job_id"] != failed
    assert state.values[KEY]["job_id"] == result["job_id"]


def test_changed_parameters_are_a_new_job(scenario_emulator) -> None:
    state = InMemoryTaskState()
    first, _ = run_try(state, generate(wait_for_completion=False))
    second, _ = run_try(state, generate(prompt="a wolf in the snow", wait_for_completion=False))

    assert first != second
    assert scenario_emulator.paid_submissions == 2


def test_a_deferred_retry_defers_on_the_recorded_job(scenario_emulator) -> None:
    state = InMemoryTaskState()
    with pytest.raises(TaskDeferred) as first_try:
        run_try(state, generate(deferrable=True))
    with pytest.raises(TaskDeferred) as second_try:  # e.g. the first deferral ended in an error event
        run_try(state, generate(deferrable=True))

    assert second_try.value.trigger.job_id == first_try.value.trigger.job_id
    assert scenario_emulator.paid_submissions == 1


def test_images_are_not_uploaded_again_on_resume(scenario_emulator, tmp_path) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(make_png(1280, 720))
    state = InMemoryTaskState()
    with pytest.raises(ScenarioJobTimeoutError):
        run_try(state, generate(image=str(image), timeout=0.2))
    run_try(state, generate(image=str(image)))

    assert scenario_emulator.count("POST /assets") == 1
    assert scenario_emulator.paid_submissions == 1


def test_without_a_task_state_store_each_run_submits_and_says_so(scenario_emulator) -> None:
    with captured_logs() as logs:
        generate(wait_for_completion=False).execute(task_context())
        generate(wait_for_completion=False).execute(task_context())

    assert scenario_emulator.paid_submissions == 2
    assert any("No task_state_store" in m for m in logs.messages("warning"))


def test_a_retry_after_an_unknown_submission_outcome_resumes_the_job_it_created(scenario_emulator) -> None:
    scenario_emulator.inject(
        Fault.status(500, after_effect=True), route="POST /generate/custom/{modelId}", times=1
    )
    state = InMemoryTaskState()
    with pytest.raises(SubmissionOutcomeUnknownError):
        run_try(state, generate())
    record = state.values[KEY]
    assert "job_id" not in record  # the attempt is recorded, its outcome is not
    assert record["attempt"]["outcome_unknown"] is True
    (created,) = scenario_emulator.job_ids()

    with captured_logs() as logs:
        result, _ = run_try(state, generate())

    assert scenario_emulator.paid_submissions == 1
    assert result["job_id"] == created
    assert result["status"] == "success"
    assert state.values[KEY]["job_id"] == created
    assert any(f"created job {created}" in m for m in logs.messages("warning"))


def test_a_retry_after_an_unknown_outcome_that_created_nothing_submits_once(scenario_emulator) -> None:
    run_try(InMemoryTaskState(), generate(prompt="another project's video", wait_for_completion=False))
    scenario_emulator.inject(Fault.status(502), route="POST /generate/custom/{modelId}", times=1)
    state = InMemoryTaskState()
    with pytest.raises(SubmissionOutcomeUnknownError):
        run_try(state, generate())
    assert scenario_emulator.paid_submissions == 1  # only the unrelated job exists

    result, _ = run_try(state, generate())

    assert scenario_emulator.paid_submissions == 2
    assert result["status"] == "success"
    assert (
        scenario_emulator.job(result["job_id"])["metadata"]["input"]["prompt"]
        == "a fox in the snow, cinematic"
    )


def test_an_identical_job_sent_before_the_attempt_is_not_taken_over(scenario_emulator, monkeypatch) -> None:
    monkeypatch.setattr(Veo31GenerateOperator, "submission_clock_tolerance", timedelta(seconds=0.3))
    run_try(InMemoryTaskState(), generate(wait_for_completion=False))  # the same body, another task
    time.sleep(0.5)
    scenario_emulator.inject(Fault.status(502), route="POST /generate/custom/{modelId}", times=1)
    state = InMemoryTaskState()
    with pytest.raises(SubmissionOutcomeUnknownError):
        run_try(state, generate())

    result, _ = run_try(state, generate())

    assert scenario_emulator.paid_submissions == 2  # the other task's job was left alone
    assert result["job_id"] == scenario_emulator.job_ids()[-1]


def test_several_identical_candidates_fail_instead_of_guessing(scenario_emulator) -> None:
    others = [run_try(InMemoryTaskState(), generate(wait_for_completion=False))[0] for _ in range(2)]
    scenario_emulator.inject(Fault.status(502), route="POST /generate/custom/{modelId}", times=1)
    state = InMemoryTaskState()
    with pytest.raises(SubmissionOutcomeUnknownError):
        run_try(state, generate())

    with pytest.raises(AmbiguousSubmissionError) as error:
        run_try(state, generate())

    assert sorted(error.value.job_ids) == sorted(others)
    assert scenario_emulator.paid_submissions == 2  # nothing taken over, nothing paid again
    assert "job_id" not in state.values[KEY]
    assert state.values[KEY]["attempt"]["outcome_unknown"] is True  # kept for a person to settle


def test_a_definite_refusal_clears_the_recorded_attempt(scenario_emulator) -> None:
    scenario_emulator.inject(Fault.status(403), route="POST /generate/custom/{modelId}", times=1)
    state = InMemoryTaskState()
    with pytest.raises(ScenarioPermissionError):
        run_try(state, generate())
    assert KEY not in state.values

    result, _ = run_try(state, generate())

    assert scenario_emulator.count("GET /jobs") == 0  # no search for a job that cannot exist
    assert scenario_emulator.paid_submissions == 1
    assert result["status"] == "success"
