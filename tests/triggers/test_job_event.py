"""The event payload, its validation, the outcome -> exception map and the polling policy (no I/O)."""

from __future__ import annotations

import time

import pytest
from airflow.sdk.exceptions import AirflowFailException
from pydantic import ValidationError

from airflow_provider_veo.exceptions import (
    InvalidTriggerEventError,
    ScenarioAPIError,
    ScenarioAuthenticationError,
    ScenarioConflictError,
    ScenarioError,
    ScenarioJobCanceledError,
    ScenarioJobError,
    ScenarioJobFailedError,
    ScenarioJobTimeoutError,
    ScenarioNotFoundError,
    ScenarioProtocolError,
    ScenarioRateLimitError,
    ScenarioServerError,
    ScenarioTransportError,
    ScenarioWaitError,
    ScenarioWaitRefusedError,
)
from airflow_provider_veo.hooks.responses import parse_job
from airflow_provider_veo.models.api import Job, JobsPage
from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.triggers.job_event import JobEvent, JobEventStatus, format_cost, validate_job_event
from airflow_provider_veo.triggers.job_polling import JobPoller, is_transient


def job_answer(status: str, **extra: object) -> dict[str, object]:
    """A job as the API sends it (camelCase)."""
    return {
        "jobId": "job_1",
        "status": status,
        "progress": extra.pop("progress", 0.0),
        "metadata": {"assetIds": extra.pop("asset_ids", []), "error": extra.pop("error", None), "hint": None},
        "billing": {"cuCost": extra.pop("cost", 0), "cuDiscount": 0},
    }


def job(status: str, **extra: object) -> Job:
    """The typed job a hook returns for that answer."""
    return Job.model_validate(job_answer(status, **extra))


def api_error(cls: type, status: int, **kwargs: object) -> Exception:
    return cls(status_code=status, reason="nope", method="GET", path="/jobs/job_1", **kwargs)


class TestValidateJobEvent:
    @pytest.mark.parametrize(
        ("event", "message"),
        [
            (None, "no event"),
            ("success", "must be a mapping"),
            ({"job_id": "job_1"}, r"Invalid trigger event: status=.*\(Field required\)"),
            ({"status": "cancelled", "job_id": "job_1"}, "Invalid trigger event: status='cancelled'"),
            ({"status": "success"}, r"Invalid trigger event: job_id=.*\(Field required\)"),
            ({"status": "success", "job_id": "job_1", "asset_ids": "asset_a"}, "asset_ids='asset_a'"),
            ({"status": "success", "job_id": "job_1", "asset_ids": ["a"], "cost": "12"}, "cost='12'"),
            ({"status": "success", "job_id": "job_1", "asset_ids": ["a"], "cost": -1}, "cost=-1"),
            ({"status": "success", "job_id": "job_1"}, "a success event must name at least one asset"),
            ({"status": "success", "job_id": "../job_1", "asset_ids": ["a"]}, "job_id='../job_1'"),
        ],
    )
    def test_missing_or_unknown_events_are_rejected(self, event: object, message: str) -> None:
        with pytest.raises(InvalidTriggerEventError, match=message):
            validate_job_event(event)

    def test_payload_round_trip(self) -> None:
        event = JobEvent(
            status=JobEventStatus.FAILURE,
            job_id="job_1",
            job_status="failure",
            cost=0.0,
            error="Content moderated",
            hint="Rephrase",
        )
        assert validate_job_event(event.to_payload()) == event

    def test_a_permanent_error_survives_the_round_trip(self) -> None:
        event = JobEvent(status=JobEventStatus.ERROR, job_id="job_1", message="HTTP 404", permanent=True)
        assert validate_job_event(event.to_payload()).permanent is True


class TestResult:
    def test_success_returns_the_small_result(self) -> None:
        event = JobEvent.from_terminal_job(job("success", asset_ids=["asset_a"], cost=60))
        assert event.result() == {
            "job_id": "job_1",
            "status": "success",
            "asset_ids": ["asset_a"],
            "cost": 60.0,
        }

    def test_failure_carries_error_and_hint(self) -> None:
        with pytest.raises(ScenarioJobFailedError) as raised:
            JobEvent(
                status=JobEventStatus.FAILURE, job_id="job_1", error="Content moderated", hint="Rephrase"
            ).result()
        assert (raised.value.job_id, raised.value.error, raised.value.hint) == (
            "job_1",
            "Content moderated",
            "Rephrase",
        )
        assert "Content moderated" in str(raised.value)
        assert "Rephrase" in str(raised.value)

    @pytest.mark.parametrize(
        ("status", "exception"),
        [
            (JobEventStatus.CANCELED, ScenarioJobCanceledError),
            (JobEventStatus.TIMEOUT, ScenarioJobTimeoutError),
        ],
    )
    def test_each_outcome_has_its_own_exception(self, status: JobEventStatus, exception: type) -> None:
        with pytest.raises(exception, match="job_1"):
            JobEvent(status=status, job_id="job_1", job_status="in-progress").result()

    def test_an_error_event_is_not_a_job_outcome(self) -> None:
        with pytest.raises(ScenarioError, match="5 polls in a row failed") as raised:
            JobEvent(status=JobEventStatus.ERROR, job_id="job_1", message="5 polls in a row failed").result()
        assert not isinstance(raised.value, ScenarioJobError)
        assert type(raised.value) is ScenarioWaitError  # transient: the task's retries resume the job

    def test_a_permanent_error_event_fails_without_retries(self) -> None:
        event = JobEvent(status=JobEventStatus.ERROR, job_id="job_1", message="HTTP 404", permanent=True)
        with pytest.raises(ScenarioWaitRefusedError, match="HTTP 404") as raised:
            event.result()
        assert isinstance(raised.value, AirflowFailException)

    def test_an_unfinished_job_has_no_final_event(self) -> None:
        with pytest.raises(ValueError, match="not finished"):
            JobEvent.from_terminal_job(job("in-progress"))

    def test_a_failure_carries_the_api_error(self) -> None:
        event = JobEvent.from_terminal_job(job("failure", error="Content moderated"))
        assert (event.status, event.job_id, event.error) == (
            JobEventStatus.FAILURE,
            "job_1",
            "Content moderated",
        )

    def test_a_success_without_assets_never_becomes_a_success_event(self) -> None:
        # A listed job of another type may succeed without assets; our own job may not.
        listed = job("success", asset_ids=[])
        with pytest.raises(ValidationError, match="a success event must name at least one asset"):
            JobEvent.from_terminal_job(listed)
        with pytest.raises(ScenarioProtocolError, match=r"job\.metadata\.assetIds"):
            parse_job({"job": listed.model_dump(by_alias=True)}, "job_1", method="GET", path="/jobs/job_1")
        page = JobsPage.model_validate({"jobs": [listed.model_dump(by_alias=True)]})
        assert page.jobs[0].status is JobStatus.SUCCESS


class TestFormatCost:
    @pytest.mark.parametrize(
        ("cost", "text"),
        [
            (60, "60"),
            (12.5, "12.5"),
            (0.0, "0"),
            (None, "an unreported number of"),
            ("12", "an unreported number of"),
            (True, "an unreported number of"),
        ],
    )
    def test_numbers_or_a_plain_admission(self, cost: object, text: str) -> None:
        assert format_cost(cost) == text


class TestJobPoller:
    def test_a_good_poll_resets_the_failure_budget(self) -> None:
        poller = JobPoller(job_id="job_1", end_time=time.time() + 60, max_consecutive_failures=3)
        for _ in range(2):
            assert poller.on_error(api_error(ScenarioServerError, 503)) is None
        assert poller.on_job(job("in-progress", progress=0.5)) is None
        for _ in range(2):
            assert poller.on_error(api_error(ScenarioServerError, 503)) is None
        event = poller.on_error(api_error(ScenarioServerError, 503))
        assert event is not None
        assert event.status is JobEventStatus.ERROR
        assert event.job_status == "in-progress"

    @pytest.mark.parametrize(
        ("error", "transient"),
        [
            (api_error(ScenarioAPIError, 408), True),
            (api_error(ScenarioRateLimitError, 429), True),
            (api_error(ScenarioServerError, 502), True),
            (ScenarioTransportError("connection reset"), True),
            (
                ScenarioProtocolError(
                    method="GET", path="/jobs/job_1", field="job", value="None", problem="x"
                ),
                True,
            ),
            (api_error(ScenarioAuthenticationError, 401), False),
            (api_error(ScenarioNotFoundError, 404), False),
            (RuntimeError("bug"), False),
        ],
    )
    def test_which_errors_are_ridden_out(self, error: Exception, transient: bool) -> None:
        assert is_transient(error) is transient

    def test_a_non_transient_error_ends_the_wait_at_once(self) -> None:
        poller = JobPoller(job_id="job_1", end_time=time.time() + 60)
        event = poller.on_error(api_error(ScenarioNotFoundError, 404))
        assert event is not None
        assert event.status is JobEventStatus.ERROR
        assert event.permanent is True
        assert "ScenarioNotFoundError" in (event.message or "")

    def test_a_conflict_ends_the_wait_but_is_not_permanent(self) -> None:
        # HTTP 409 is a ScenarioConflictError: not retryable while polling, yet a later try may pass.
        event = JobPoller(job_id="job_1", end_time=time.time() + 60).on_error(
            api_error(ScenarioConflictError, 409)
        )
        assert event is not None
        assert (event.status, event.permanent) == (JobEventStatus.ERROR, False)

    def test_malformed_answers_are_ridden_out_then_end_the_wait_with_an_error(self) -> None:
        # Hardening: an answer without its jobId (or with an unknown status) is a ScenarioProtocolError
        # at the hook; the poller rides a glitch out and never turns it into a success.
        poller = JobPoller(job_id="job_1", end_time=time.time() + 60, max_consecutive_failures=2)
        malformed = ScenarioProtocolError(
            method="GET", path="/jobs/job_1", field="job.jobId", value="None", problem="Field required"
        )
        assert poller.on_error(malformed) is None
        event = poller.on_error(malformed)
        assert event is not None
        assert (event.status, event.permanent) == (JobEventStatus.ERROR, False)
        assert "job.jobId" in (event.message or "")

    @pytest.mark.parametrize("field", ["jobId", "status"])
    def test_an_answer_without_its_id_or_with_an_unknown_status_is_no_job(self, field: str) -> None:
        answer = job_answer("success", asset_ids=["asset_a"])
        if field == "jobId":
            del answer["jobId"]
        else:
            answer["status"] = "exploded"
        with pytest.raises(ValidationError, match=field):
            Job.model_validate(answer)

    def test_sleeps_are_jittered_honour_retry_after_and_stop_at_the_deadline(self) -> None:
        poller = JobPoller(job_id="job_1", end_time=time.time() + 60)
        delays = {poller.next_delay(10.0) for _ in range(50)}
        assert all(9.0 <= d <= 11.0 for d in delays)
        assert len(delays) > 1

        poller.on_error(api_error(ScenarioRateLimitError, 429, retry_after=30.0))
        assert poller.next_delay(10.0) >= 30.0
        poller.on_job(job("in-progress"))
        assert poller.next_delay(10.0) <= 11.0

        near = JobPoller(job_id="job_1", end_time=time.time() + 0.5)
        assert near.next_delay(10.0) <= 0.5

    def test_timeout_only_after_the_deadline(self) -> None:
        poller = JobPoller(job_id="job_1", end_time=time.time() + 60)
        poller.on_job(job("in-progress"))
        assert poller.on_deadline() is None
        poller.end_time = time.time() - 1
        event = poller.on_deadline()
        assert event is not None
        assert event.status is JobEventStatus.TIMEOUT
        assert event.job_status == "in-progress"
