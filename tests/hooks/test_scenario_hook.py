"""ScenarioHook over real HTTP against the emulator: every method, every error class, the retry rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ProxyError

from airflow_provider_veo.exceptions import (
    ScenarioAuthenticationError,
    ScenarioConfigurationError,
    ScenarioConflictError,
    ScenarioInvalidRequestError,
    ScenarioNotFoundError,
    ScenarioPermanentError,
    ScenarioPermissionError,
    ScenarioRateLimitError,
    ScenarioServerError,
    ScenarioTransportError,
    SubmissionOutcomeUnknownError,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook, _never_sent
from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.models.veo31 import MODEL_ID
from airflow_provider_veo.testing import EmulatorConfig, Fault, ScenarioEmulator

GENERATE = "POST /generate/custom/{modelId}"
GET_JOB = "GET /jobs/{jobId}"
LIST_JOBS = "GET /jobs"
FAST = {"backoff_base": 0.001, "backoff_max": 0.005}
Body = dict[str, Any]


# --- methods ------------------------------------------------------------------------------------------


def test_run_model_creates_one_job_that_get_job_returns(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    response = hook.run_model(MODEL_ID, veo_body)

    job = response.job
    assert job.status is JobStatus.QUEUED
    assert response.creative_units_cost is not None
    assert response.creative_units_cost > 0
    assert scenario_emulator.paid_submissions == 1
    fetched = hook.get_job(job.job_id)
    assert fetched.job_id == job.job_id
    assert fetched.metadata.input == veo_body  # the body is sent verbatim


def test_estimate_cost_is_a_dry_run_without_job(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    cost = hook.estimate_cost(MODEL_ID, veo_body)

    assert isinstance(cost, float)
    assert cost > 0
    assert scenario_emulator.paid_submissions == 0
    assert scenario_emulator.job_ids() == []
    assert hook.run_model(MODEL_ID, veo_body).creative_units_cost == cost


def test_list_jobs_follows_the_pagination_cursor(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    created = [hook.run_model(MODEL_ID, veo_body).job.job_id for _ in range(5)]

    listed = [job.job_id for job in hook.list_jobs(page_size=2)]

    assert listed == created[::-1]  # newest first, all of them
    assert scenario_emulator.count(LIST_JOBS) == 3  # pages of 2, 2 and 1


def test_list_jobs_filters(
    scenario_emulator_factory: Callable[..., Any], make_hook: Callable[..., ScenarioHook], veo_body: Body
) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=300)):
        hook = make_hook()
        job_id = hook.run_model(MODEL_ID, veo_body).job.job_id

        assert [j.job_id for j in hook.list_jobs(status=JobStatus.QUEUED)] == [job_id]
        assert list(hook.list_jobs(status=JobStatus.SUCCESS)) == []
        # updatedAfter is only allowed with status, type or types (the API's documented filter rule).
        future = "2999-01-01T00:00:00.000Z"
        assert list(hook.list_jobs(status=JobStatus.QUEUED, updated_after=future)) == []
        with pytest.raises(ScenarioInvalidRequestError, match="updatedAfter"):
            list(hook.list_jobs(updated_after=future))


def test_cancel_refused_by_the_api_is_an_invalid_request(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    job_id = hook.run_model(MODEL_ID, veo_body).job.job_id

    with pytest.raises(ScenarioInvalidRequestError) as info:
        hook.cancel_job(job_id)

    assert info.value.status_code == 400
    assert "Cannot cancel" in info.value.reason
    assert scenario_emulator.count("POST /jobs/{jobId}/action") == 1  # a 400 is not retried


def test_cancel_job_when_the_api_allows_it(
    scenario_emulator_factory: Callable[..., Any], make_hook: Callable[..., ScenarioHook], veo_body: Body
) -> None:
    with scenario_emulator_factory(EmulatorConfig(job_duration=60, allow_cancel=True)):
        hook = make_hook()
        job_id = hook.run_model(MODEL_ID, veo_body).job.job_id

        job = hook.cancel_job(job_id)

        assert job.status is JobStatus.CANCELED
        assert hook.get_job(job_id).status is JobStatus.CANCELED


def test_get_asset_and_a_fresh_download_url(hook: ScenarioHook, scenario_emulator: ScenarioEmulator) -> None:
    asset_id = scenario_emulator.create_image_asset(width=64, height=36)

    asset = hook.get_asset(asset_id)
    url = hook.get_download_url(asset_id)

    assert asset.id == asset_id
    assert asset.kind == "image"
    assert "Signature=" in url
    content = requests.get(url, timeout=10)
    assert content.status_code == 200
    assert content.content.startswith(b"\x89PNG")


def test_get_model(hook: ScenarioHook) -> None:
    model = hook.get_model(MODEL_ID)

    assert model.id == MODEL_ID
    assert "generateAudio" in {field["name"] for field in model.inputs}


def test_job_url_uses_the_web_url(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, set_connection: Callable[..., None]
) -> None:
    # The emulator's connection points web_url at its own job page.
    assert hook.job_url("job_1") == f"{scenario_emulator.origin}/app/jobs/job_1"
    set_connection(extra={})
    assert ScenarioHook().job_url("job_1") == "https://app.scenario.com/jobs/job_1"  # the default
    set_connection(extra={"web_url": "https://scenario.example.com/"})
    assert ScenarioHook().job_url("job 2") == "https://scenario.example.com/jobs/job%202"


def test_one_session_reuses_one_tcp_connection(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator
) -> None:
    before = scenario_emulator.tcp_connections
    for _ in range(5):
        hook.get_model(MODEL_ID)
    assert scenario_emulator.tcp_connections - before == 1
    assert hook.session is hook.session


def test_requests_carry_user_agent_and_basic_auth(hook: ScenarioHook) -> None:
    seen: list[requests.PreparedRequest] = []
    hook.session.hooks["response"].append(lambda response, **_: seen.append(response.request))

    hook.get_model(MODEL_ID)

    headers = seen[0].headers
    assert headers["User-Agent"].startswith("airflow-provider-veo/0.")
    assert " apache-airflow/3." in headers["User-Agent"]
    assert headers["Authorization"] == "Basic " + hook.settings.basic_token
    assert hook.get_conn() is hook.session


def test_the_session_sends_credentials_to_api_urls_only(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator
) -> None:
    seen: list[requests.PreparedRequest] = []
    hook.session.hooks["response"].append(lambda response, **_: seen.append(response.request))
    signed_cdn_url = hook.get_download_url(scenario_emulator.create_image_asset())

    assert hook.session.get(signed_cdn_url, timeout=10).status_code == 200

    assert [("Authorization" in r.headers) for r in seen] == [True, False]
    assert repr(hook.session.auth) == "<Scenario Basic auth>"


@pytest.mark.parametrize(
    ("exc", "never_sent"),
    [
        (requests.exceptions.ConnectTimeout(), True),
        (
            requests.exceptions.ConnectionError(
                MaxRetryError(None, "/", NewConnectionError(None, "refused"))
            ),
            True,
        ),
        (requests.exceptions.ConnectionError(ProtocolError("Connection aborted.")), False),
        (requests.exceptions.ReadTimeout(), False),
        (requests.exceptions.ChunkedEncodingError(), False),
        (requests.exceptions.ConnectionError(MaxRetryError(None, "/", ProxyError("proxy", None))), False),
    ],
)
def test_only_a_failed_connect_proves_nothing_was_sent(
    exc: requests.RequestException, never_sent: bool
) -> None:
    assert _never_sent(exc) is never_sent


# --- project id -----------------------------------------------------------------------------------------


def test_project_id_from_the_connection_and_overridden_by_the_hook(
    set_connection: Callable[..., None], scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    set_connection(extra={"project_id": "proj_from_conn"})

    from_conn = ScenarioHook(**FAST).run_model(MODEL_ID, veo_body).job.job_id
    from_hook = ScenarioHook(project_id="proj_from_hook", **FAST).run_model(MODEL_ID, veo_body).job.job_id

    assert scenario_emulator.job(from_conn)["ownerId"] == "proj_from_conn"
    assert scenario_emulator.job(from_hook)["ownerId"] == "proj_from_hook"
    with pytest.raises(ScenarioNotFoundError):  # GET sends projectId too: another project's job is hidden
        ScenarioHook(project_id="proj_other", **FAST).get_job(from_conn)


# --- credentials ----------------------------------------------------------------------------------------


def test_env_vars_fill_in_missing_connection_credentials(
    set_connection: Callable[..., None], scenario_emulator: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(login=None, password=None)
    monkeypatch.setenv("SCENARIO_SDK_API_KEY", scenario_emulator.api_key)
    monkeypatch.setenv("SCENARIO_SDK_API_SECRET", scenario_emulator.api_secret)

    assert ScenarioHook().get_model(MODEL_ID).id == MODEL_ID


def test_env_vars_alone_when_the_default_connection_does_not_exist(
    scenario_emulator: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_SCENARIO_DEFAULT")
    monkeypatch.setenv("SCENARIO_SDK_API_KEY", scenario_emulator.api_key)
    monkeypatch.setenv("SCENARIO_SDK_API_SECRET", scenario_emulator.api_secret)
    monkeypatch.setenv("SCENARIO_BASE_URL", scenario_emulator.base_url)

    hook = ScenarioHook()

    assert hook.base_url == scenario_emulator.base_url
    assert hook.get_model(MODEL_ID).id == MODEL_ID


def test_no_credentials_anywhere_is_a_clear_error(
    set_connection: Callable[..., None], scenario_emulator: ScenarioEmulator
) -> None:
    set_connection(login=None, password=None)

    with pytest.raises(ScenarioConfigurationError, match="SCENARIO_SDK_API_KEY and SCENARIO_SDK_API_SECRET"):
        ScenarioHook().get_model(MODEL_ID)
    assert scenario_emulator.count("GET /models/{modelId}") == 0


def test_an_undefined_non_default_connection_is_an_error(scenario_emulator: ScenarioEmulator) -> None:
    with pytest.raises(ScenarioConfigurationError, match="'scenario_missing' is not defined"):
        ScenarioHook(scenario_conn_id="scenario_missing").get_model(MODEL_ID)


# --- test_connection ------------------------------------------------------------------------------------


def test_test_connection_succeeds_with_one_cheap_get(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator
) -> None:
    ok, message = hook.test_connection()

    assert ok is True
    assert "successful" in message
    assert scenario_emulator.count(LIST_JOBS) == 1
    assert scenario_emulator.count(GENERATE) == 0


def test_test_connection_reports_rejected_credentials(wrong_secret: ScenarioEmulator) -> None:
    ok, message = ScenarioHook().test_connection()

    assert ok is False
    assert "HTTP 401" in message


def test_test_connection_reports_a_forbidden_project(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator
) -> None:
    scenario_emulator.inject(Fault.status(403, body={"reason": "Project not accessible"}), route=LIST_JOBS)

    ok, message = hook.test_connection()

    assert ok is False
    assert "HTTP 403" in message
    assert "Project not accessible" in message


def test_test_connection_reports_an_unreachable_api(
    set_connection: Callable[..., None], closed_port_url: str
) -> None:
    set_connection(host=closed_port_url)

    ok, message = ScenarioHook().test_connection()

    assert ok is False
    assert "could not be reached after 1 attempt" in message


# --- error classes --------------------------------------------------------------------------------------


def test_401_is_an_authentication_error(wrong_secret: ScenarioEmulator) -> None:
    with pytest.raises(ScenarioAuthenticationError) as info:
        ScenarioHook(**FAST).get_job("job_x")

    assert isinstance(info.value, ScenarioPermanentError)  # fails the task without its retries
    assert wrong_secret.count(GET_JOB) == 1
    assert info.value.status_code == 401
    assert info.value.method == "GET"
    assert info.value.path == "/jobs/job_x"


def test_403_model_not_in_plan_is_a_permission_error_and_not_retried(
    scenario_emulator_factory: Callable[..., Any], make_hook: Callable[..., ScenarioHook], veo_body: Body
) -> None:
    with scenario_emulator_factory(EmulatorConfig(forbidden_models=(MODEL_ID,))) as emu:
        with pytest.raises(ScenarioPermissionError) as info:
            make_hook().run_model(MODEL_ID, veo_body)

        assert info.value.status_code == 403
        assert "not available in your plan" in info.value.reason
        assert emu.count(GENERATE) == 1
        assert emu.paid_submissions == 0


def test_404_is_a_not_found_error_and_not_retried(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator
) -> None:
    with pytest.raises(ScenarioNotFoundError) as info:
        hook.get_job("job_does_not_exist")

    assert info.value.status_code == 404
    assert info.value.reason == "Job not found"
    assert scenario_emulator.count(GET_JOB) == 1


def test_400_is_an_invalid_request_with_the_api_reason(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    with pytest.raises(ScenarioInvalidRequestError) as info:
        hook.run_model(MODEL_ID, {**veo_body, "duration": 5})

    assert info.value.status_code == 400
    assert "duration" in info.value.reason
    assert scenario_emulator.count(GENERATE) == 1
    assert scenario_emulator.paid_submissions == 0


@pytest.mark.parametrize(
    ("status", "error_class", "permanent"),
    [(409, ScenarioConflictError, False), (422, ScenarioInvalidRequestError, True)],
)
def test_409_is_a_conflict_and_422_an_invalid_request(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, status: int, error_class: type, permanent: bool
) -> None:
    # Hardening: 409 (the resource's state, may pass later) is no longer an invalid request, and is
    # not permanent: the task's retries may try again. 422 fails the task without retries.
    scenario_emulator.inject(
        Fault.status(status, body={"reason": "Conflicting state", "hint": "Try later"}),
        route="GET /models/{modelId}",
    )

    with pytest.raises(error_class) as info:
        hook.get_model(MODEL_ID)

    assert type(info.value) is error_class
    assert isinstance(info.value, ScenarioPermanentError) is permanent
    assert info.value.status_code == status
    assert info.value.hint == "Try later"
    assert "(hint: Try later)" in str(info.value)
    assert scenario_emulator.count("GET /models/{modelId}") == 1  # neither is retried by the hook


def test_the_parallel_job_ceiling_429_is_a_rate_limit_error_with_the_limit_details(
    scenario_emulator_factory: Callable[..., Any], make_hook: Callable[..., ScenarioHook], veo_body: Body
) -> None:
    config = EmulatorConfig(job_duration=60, max_parallel_jobs=1, parallel_limit_retry_after=0)
    with scenario_emulator_factory(config) as emu:
        hook = make_hook(max_retries=2)
        hook.run_model(MODEL_ID, veo_body)

        with pytest.raises(ScenarioRateLimitError) as info:
            hook.run_model(MODEL_ID, veo_body)

        assert info.value.status_code == 429
        assert info.value.action_name == "model_run"
        assert info.value.action_limit == 1
        assert info.value.retry_after == 0
        # Hardening: the team's ceiling of running jobs is not retried at once by the hook (that would
        # repeat it); the operator waits for Retry-After and submits again.
        assert emu.count(GENERATE) == 1 + 1
        assert emu.paid_submissions == 1


def test_persistent_5xx_on_a_read_is_a_server_error_after_the_retries(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator
) -> None:
    scenario_emulator.inject(Fault.status(502), route="GET /models/{modelId}", times=10)

    with pytest.raises(ScenarioServerError) as info:
        hook.get_model(MODEL_ID)

    assert info.value.status_code == 502
    assert scenario_emulator.count("GET /models/{modelId}") == 4  # 1 + max_retries=3


def test_unreachable_api_is_a_transport_error_after_the_retries(
    set_connection: Callable[..., None], closed_port_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    set_connection(host=closed_port_url)

    with pytest.raises(ScenarioTransportError) as info:
        ScenarioHook(max_retries=2, **FAST).get_job("job_x")

    assert "after 3 attempt(s)" in str(info.value)
    assert "retry 2/2" in capsys.readouterr().out  # the Task SDK logger writes to stdout


# --- retries of reads -----------------------------------------------------------------------------------


def test_5xx_on_a_read_is_retried(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    job_id = hook.run_model(MODEL_ID, veo_body).job.job_id
    scenario_emulator.inject(Fault.status(503), route=GET_JOB, times=2)

    assert hook.get_job(job_id).job_id == job_id
    assert scenario_emulator.count(GET_JOB) == 3


def test_429_on_a_read_honours_retry_after(
    make_hook: Callable[..., ScenarioHook],
    scenario_emulator: ScenarioEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario_emulator.inject(Fault.status(429, retry_after=0), route="GET /models/{modelId}")

    # A backoff of 20 s would apply without Retry-After: the 0 s wait shows the header won.
    assert make_hook(backoff_base=20, backoff_max=20).get_model(MODEL_ID).id == MODEL_ID

    assert scenario_emulator.count("GET /models/{modelId}") == 2
    assert "(HTTP 429); retry 1/5 in 0.00 s" in capsys.readouterr().out


def test_a_dropped_connection_on_a_read_is_retried(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator
) -> None:
    scenario_emulator.inject(Fault.reset(), route="GET /models/{modelId}")

    assert hook.get_model(MODEL_ID).id == MODEL_ID
    assert scenario_emulator.count("GET /models/{modelId}") == 2


def test_a_read_timeout_on_a_read_is_retried(
    set_connection: Callable[..., None], scenario_emulator: ScenarioEmulator
) -> None:
    set_connection(extra={"timeout": "0.2"})
    scenario_emulator.inject(Fault.delay(0.6), route="GET /models/{modelId}")

    assert ScenarioHook(**FAST).get_model(MODEL_ID).id == MODEL_ID
    assert scenario_emulator.count("GET /models/{modelId}") == 2


def test_the_dry_run_is_retried_on_5xx(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    scenario_emulator.inject(Fault.status(500), route=GENERATE)

    assert hook.estimate_cost(MODEL_ID, veo_body) > 0
    assert scenario_emulator.count(GENERATE) == 2
    assert scenario_emulator.paid_submissions == 0


# --- the paid submission --------------------------------------------------------------------------------


def test_500_after_the_job_was_created_is_not_retried(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    scenario_emulator.inject(Fault.status(500, after_effect=True), route=GENERATE)

    with pytest.raises(SubmissionOutcomeUnknownError) as info:
        hook.run_model(MODEL_ID, veo_body)

    assert scenario_emulator.count(GENERATE) == 1
    assert scenario_emulator.paid_submissions == 1
    assert len(scenario_emulator.job_ids()) == 1
    assert info.value.model_id == MODEL_ID
    assert "HTTP 500" in str(info.value)
    assert "A job may have been created" in str(info.value)
    assert isinstance(info.value.__cause__, ScenarioServerError)


def test_503_on_the_paid_submission_is_not_retried(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    scenario_emulator.inject(Fault.status(503), route=GENERATE)

    with pytest.raises(SubmissionOutcomeUnknownError):
        hook.run_model(MODEL_ID, veo_body)

    assert scenario_emulator.count(GENERATE) == 1


def test_429_on_the_paid_submission_is_retried(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    scenario_emulator.inject(Fault.status(429, retry_after=0), route=GENERATE)

    job = hook.run_model(MODEL_ID, veo_body).job

    assert scenario_emulator.count(GENERATE) == 2
    assert scenario_emulator.paid_submissions == 1
    assert scenario_emulator.job_ids() == [job.job_id]


def test_a_reset_after_sending_the_paid_submission_is_not_retried(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    scenario_emulator.inject(Fault.reset(), route=GENERATE)

    with pytest.raises(SubmissionOutcomeUnknownError, match="ConnectionError"):
        hook.run_model(MODEL_ID, veo_body)

    assert scenario_emulator.count(GENERATE) == 1


def test_a_read_timeout_on_the_paid_submission_is_not_retried(
    set_connection: Callable[..., None], scenario_emulator: ScenarioEmulator, veo_body: Body
) -> None:
    set_connection(extra={"timeout": 0.2})
    scenario_emulator.inject(Fault.delay(0.6), route=GENERATE)

    with pytest.raises(SubmissionOutcomeUnknownError, match="ReadTimeout"):
        ScenarioHook(**FAST).run_model(MODEL_ID, veo_body)

    assert scenario_emulator.count(GENERATE) == 1


def test_a_refused_connection_on_the_paid_submission_is_retried(
    set_connection: Callable[..., None],
    closed_port_url: str,
    veo_body: Body,
    capsys: pytest.CaptureFixture[str],
) -> None:
    set_connection(host=closed_port_url)

    with pytest.raises(ScenarioTransportError):  # not SubmissionOutcomeUnknownError: nothing was sent
        ScenarioHook(max_retries=2, **FAST).run_model(MODEL_ID, veo_body)

    assert "POST /generate/custom/model_veo3-1 failed (ConnectionError); retry 2/2" in capsys.readouterr().out
