"""The API key, the secret and the Basic token never reach logs, exception text or reprs."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from airflow.sdk._shared.secrets_masker import redact

from airflow_provider_veo.exceptions import (
    ScenarioAuthenticationError,
    ScenarioConfigurationError,
    ScenarioError,
    ScenarioInvalidRequestError,
    ScenarioNotFoundError,
    ScenarioPermissionError,
    ScenarioRateLimitError,
    ScenarioServerError,
    ScenarioTransportError,
    SubmissionOutcomeUnknownError,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.hooks.scenario_async import ScenarioAsyncHook
from airflow_provider_veo.models.veo31 import MODEL_ID
from airflow_provider_veo.testing import EmulatorConfig, Fault, ScenarioEmulator, make_png

KEY = "key-7f3a9c2e1b5d"
SECRET = "secret-0d9e8f7a6b5c4d3e"
WRONG_SECRET = "secret-wrong-1a2b3c4d5e"
GENERATE = "POST /generate/custom/{modelId}"
FAST = {"backoff_base": 0.001, "backoff_max": 0.005}


def _token(key: str, secret: str) -> str:
    return base64.b64encode(f"{key}:{secret}".encode()).decode()


FORBIDDEN = (KEY, SECRET, _token(KEY, SECRET), WRONG_SECRET, _token(KEY, WRONG_SECRET))


@pytest.fixture
def emu(scenario_emulator_factory: Callable[..., Any]) -> Iterator[ScenarioEmulator]:
    config = EmulatorConfig(
        api_key=KEY,
        api_secret=SECRET,
        strict_credentials=True,  # the wrong secret must be answered with 401
        job_duration=60,
        forbidden_models=("model_forbidden",),
    )
    with scenario_emulator_factory(config) as emulator:
        yield emulator


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in FORBIDDEN:
            assert secret not in text


def _set_conn(monkeypatch: pytest.MonkeyPatch, emu: ScenarioEmulator, **changes: Any) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SCENARIO_DEFAULT", json.dumps({**json.loads(emu.airflow_connection()), **changes})
    )


def test_no_secret_in_logs_errors_or_reprs_of_the_sync_hook(
    emu: ScenarioEmulator,
    veo_body: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    closed_port_url: str,
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 and requests log every request at DEBUG
    errors: list[ScenarioError] = []

    def expect(kind: type[ScenarioError], call: Callable[[], object]) -> None:
        with pytest.raises(kind) as info:
            call()
        errors.append(info.value)

    hook = ScenarioHook(max_retries=1, **FAST)
    job_id = hook.run_model(MODEL_ID, veo_body).job.job_id
    hook.get_job(job_id)
    hook.estimate_cost(MODEL_ID, veo_body)
    hook.upload_image(make_png(8, 8))
    list(hook.list_jobs(page_size=1))
    expect(ScenarioNotFoundError, lambda: hook.get_job("job_missing"))
    expect(ScenarioInvalidRequestError, lambda: hook.cancel_job(job_id))
    expect(ScenarioInvalidRequestError, lambda: hook.run_model(MODEL_ID, {**veo_body, "resolution": "4k"}))
    expect(ScenarioPermissionError, lambda: hook.run_model("model_forbidden", veo_body))
    emu.inject(Fault.status(429, retry_after=0), route="GET /jobs/{jobId}", times=2)
    expect(ScenarioRateLimitError, lambda: hook.get_job(job_id))
    emu.inject(Fault.status(503), route="GET /jobs/{jobId}", times=2)
    expect(ScenarioServerError, lambda: hook.get_job(job_id))
    emu.inject(Fault.status(500, after_effect=True), route=GENERATE)
    expect(SubmissionOutcomeUnknownError, lambda: hook.run_model(MODEL_ID, veo_body))
    emu.inject(Fault.reset(), route=GENERATE)
    expect(SubmissionOutcomeUnknownError, lambda: hook.run_model(MODEL_ID, veo_body))
    emu.inject(
        Fault.status(500, body={"reason": f"echo {SECRET} {_token(KEY, SECRET)}"}),
        route="GET /models/{modelId}",
    )
    emu.inject(
        Fault.status(400, body={"reason": f"echo {SECRET}", "hint": KEY}), route="GET /models/{modelId}"
    )
    expect(ScenarioInvalidRequestError, lambda: hook.get_model(MODEL_ID))  # a server echoing them is redacted
    assert hook.test_connection()[0] is True

    _set_conn(monkeypatch, emu, password=WRONG_SECRET)
    wrong = ScenarioHook(**FAST)
    expect(ScenarioAuthenticationError, lambda: wrong.get_job(job_id))
    ok, message = wrong.test_connection()
    assert ok is False
    _set_conn(monkeypatch, emu, host=closed_port_url)
    expect(ScenarioTransportError, lambda: ScenarioHook(max_retries=1, **FAST).run_model(MODEL_ID, veo_body))
    _set_conn(monkeypatch, emu, password=None)
    expect(ScenarioConfigurationError, lambda: ScenarioHook().get_job(job_id))

    captured = capsys.readouterr()
    assert "retry 1/1" in captured.out  # the hook did log (to stdout, the Task SDK's logger)
    assert str(errors[-4]).endswith("HTTP 400: echo *** (hint: ***)")
    _assert_clean(caplog.text, captured.out, captured.err, message)
    for error in errors:
        _assert_clean(str(error), repr(error), repr(error.__cause__), str(error.__cause__))
    _assert_clean(repr(hook), repr(hook.session.auth), repr(hook.settings), repr(wrong), repr(wrong.settings))
    assert len(errors) == 12


@pytest.mark.asyncio
async def test_no_secret_in_logs_errors_or_reprs_of_the_async_hook(
    emu: ScenarioEmulator,
    veo_body: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    job_id = ScenarioHook().run_model(MODEL_ID, veo_body).job.job_id
    errors: list[BaseException] = []

    async with ScenarioAsyncHook(max_retries=1, **FAST) as hook:
        await hook.get_job(job_id)
        emu.inject(Fault.status(503), route="GET /jobs/{jobId}", times=2)
        for call in (hook.get_job(job_id), hook.get_job("job_missing"), hook.cancel_job(job_id)):
            with pytest.raises(ScenarioError) as info:
                await call
            errors.append(info.value)
        _assert_clean(repr(hook), repr(hook.session))
    _set_conn(monkeypatch, emu, password=WRONG_SECRET)
    async with ScenarioAsyncHook(**FAST) as wrong:
        with pytest.raises(ScenarioAuthenticationError) as auth_info:
            await wrong.get_job(job_id)
        errors.append(auth_info.value)

    captured = capsys.readouterr()
    assert "retry 1/1" in captured.out
    _assert_clean(caplog.text, captured.out, captured.err)
    for error in errors:
        _assert_clean(str(error), repr(error))
    assert [type(e) for e in errors] == [
        ScenarioServerError,
        ScenarioNotFoundError,
        ScenarioInvalidRequestError,
        ScenarioAuthenticationError,
    ]


def test_credentials_are_registered_with_the_secret_masker(emu: ScenarioEmulator) -> None:
    token = _token(KEY, SECRET)
    ScenarioHook().settings  # noqa: B018  # resolving the connection registers the secrets

    assert redact(f"Authorization: Basic {token}") == "Authorization: Basic ***"
    assert SECRET not in str(redact(f"secret={SECRET}"))
    assert KEY not in str(redact(f"key={KEY}"))
