"""Asynchronous hook for the Scenario API (used by triggers), over one shared ``aiohttp`` pool per loop."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from airflow_provider_veo import log_redaction
from airflow_provider_veo._compat import (
    AirflowNotFoundException,
    amask_secret,
    get_async_connection,
    get_async_extra_dejson,
)
from airflow_provider_veo.hooks import endpoints
from airflow_provider_veo.hooks.base import ScenarioBaseHook
from airflow_provider_veo.hooks.connection_settings import (
    DEFAULT_CONN_ID,
    USER_AGENT,
    ScenarioConnectionSettings,
    missing_connection,
    resolve_settings,
)
from airflow_provider_veo.hooks.endpoints import api_path
from airflow_provider_veo.hooks.responses import (
    ERROR_BODY_BYTES,
    MAX_JSON_BYTES,
    decode_json,
    parse,
    parse_job,
    too_large,
)
from airflow_provider_veo.hooks.retry_policy import GiveUp, RetriedCall, Retry, request_timeout
from airflow_provider_veo.models.api import Job, JobsPage

POOL_LIMIT = 100
"""Most TCP connections the shared session opens at once (per event loop)."""

log_redaction.install()


@dataclass
class _SharedSession:
    session: aiohttp.ClientSession
    users: int = 0


_SESSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SharedSession] = weakref.WeakKeyDictionary()


def _acquire_session() -> _SharedSession:
    """The running loop's shared session (opened on first use), with one more user counted."""
    loop = asyncio.get_running_loop()
    shared = _SESSIONS.get(loop)
    if shared is None or shared.session.closed:
        shared = _SharedSession(
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=POOL_LIMIT),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            )
        )
        _SESSIONS[loop] = shared
    shared.users += 1
    return shared


async def _release_session(shared: _SharedSession) -> None:
    """Count one user less; the last one closes the session (even while being cancelled)."""
    shared.users -= 1
    if shared.users:
        return
    loop = asyncio.get_running_loop()
    if _SESSIONS.get(loop) is shared:
        del _SESSIONS[loop]
    await asyncio.shield(shared.session.close())


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, or its first ``limit + 1`` bytes when it is longer (the caller refuses it then)."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limit:
            break
    return bytes(body)


class ScenarioAsyncHook(ScenarioBaseHook):
    """Non-blocking twin of :class:`~airflow_provider_veo.hooks.scenario.ScenarioHook` for triggers.

    Every instance used in one event loop shares one ``aiohttp.ClientSession`` (one connection pool):
    the first ``async with`` opens it, the last one to exit closes it. Credentials travel per request,
    so hooks on different connections still share the pool. The connection is resolved with
    ``await BaseHook.aget_connection()``; nothing here blocks the loop.

    Transient failures (connection errors, timeouts, 408, 429 honouring ``Retry-After``, 5xx) are
    retried ``max_retries`` times with exponential backoff and jitter, never past the caller's
    ``deadline``. Answers are parsed into the same typed models as the sync hook's.

    .. code-block:: python

        async with ScenarioAsyncHook(scenario_conn_id="scenario_default") as hook:
            job = await hook.get_job("job_123")

    :param scenario_conn_id: the Airflow connection id.
    :param project_id: Scenario project (``projectId``); overrides the connection's extra.
    :param max_retries: retries of a transient failure after the first attempt.
    :param backoff_base: first backoff delay in seconds (doubles on each retry).
    :param backoff_max: upper bound of a backoff delay in seconds.
    """

    def __init__(
        self,
        *,
        scenario_conn_id: str = DEFAULT_CONN_ID,
        project_id: str | None = None,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 10.0,
    ) -> None:
        super().__init__(
            scenario_conn_id=scenario_conn_id,
            project_id=project_id,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )
        self._settings: ScenarioConnectionSettings | None = None
        self._shared: _SharedSession | None = None

    async def __aenter__(self) -> ScenarioAsyncHook:
        if self._shared is not None:
            raise RuntimeError(f"{self!r} is already open")
        if self._settings is None:
            self._settings = await self._resolve_settings()
        self._shared = _acquire_session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        shared, self._shared = self._shared, None
        if shared is not None:
            await _release_session(shared)

    async def _resolve_settings(self) -> ScenarioConnectionSettings:
        try:
            conn = await get_async_connection(self.scenario_conn_id, hook=self)
        except AirflowNotFoundException:
            missing_connection(self.scenario_conn_id)
            conn = None
        settings = resolve_settings(
            conn,
            conn_id=self.scenario_conn_id,
            extras=await get_async_extra_dejson(conn) if conn is not None else {},
            project_id=self.project_id_override,
        )
        for secret in settings.secrets:
            await amask_secret(secret)
        return settings

    @property
    def session(self) -> aiohttp.ClientSession:
        """The loop's shared session; only inside ``async with``."""
        if self._shared is None:
            raise RuntimeError(f"Use {type(self).__name__} inside `async with`")
        return self._shared.session

    async def get_job(self, job_id: str, *, deadline: float | None = None) -> Job:
        """The job of ``GET /jobs/{job_id}`` (same as ``ScenarioHook.get_job``).

        Retries never wait past ``deadline`` (epoch seconds).
        """
        method, path = "GET", api_path(endpoints.JOB, job_id)
        payload = await self._request(method, path, deadline=deadline)
        return parse_job(payload, job_id, method=method, path=path, secrets=self._secrets)

    async def list_jobs_page(self, params: Mapping[str, Any], *, deadline: float | None = None) -> JobsPage:
        """One page of ``GET /jobs`` for these query parameters (camelCase, e.g. ``updatedAfter``)."""
        payload = await self._request("GET", endpoints.JOBS, params=params, deadline=deadline)
        return parse(JobsPage, payload, None, method="GET", path=endpoints.JOBS, secrets=self._secrets)

    async def cancel_job(self, job_id: str) -> Job:
        """Ask the API to cancel a job; returns the job (``ScenarioInvalidRequestError`` if refused).

        Retried like a read: repeating a cancel cannot create or bill anything.
        """
        method, path = "POST", api_path(endpoints.JOB_ACTION, job_id)
        payload = await self._request(method, path, json_body=endpoints.CANCEL_ACTION)
        return parse_job(payload, job_id, method=method, path=path, secrets=self._secrets)

    @property
    def _secrets(self) -> tuple[str, ...]:
        return self._settings.secrets if self._settings is not None else ()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        deadline: float | None = None,
    ) -> Any:
        """Call the API with the retry rules and return the decoded JSON answer.

        Redirects are never followed; the body is read at most :data:`MAX_JSON_BYTES`.
        """
        session = self.session
        settings = self._settings
        assert settings is not None  # set by __aenter__, before the session
        call = RetriedCall(
            policy=self.retry_policy,
            method=method,
            path=path,
            base_url=settings.base_url,
            secrets=settings.secrets,
            deadline=deadline,
        )
        attempt = 0
        while True:
            timeout = aiohttp.ClientTimeout(
                total=request_timeout(settings.timeout, deadline), sock_connect=settings.connect_timeout
            )
            try:
                async with session.request(
                    method,
                    settings.base_url + path,
                    params=settings.query(params),
                    json=json_body,
                    headers={"Authorization": settings.authorization},
                    timeout=timeout,
                    allow_redirects=False,
                ) as response:
                    status, headers = response.status, response.headers
                    body = await _read_capped(response, MAX_JSON_BYTES if status < 300 else ERROR_BODY_BYTES)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                decision: Retry | GiveUp = call.after_transport_error(attempt, exc)
            else:
                if status < 300:
                    if len(body) > MAX_JSON_BYTES:
                        raise too_large(method=method, path=path)
                    return decode_json(body, method=method, path=path, secrets=settings.secrets)
                if status < 400:
                    decision = call.after_redirect(status_code=status, location=headers.get("Location"))
                else:
                    decision = call.after_error_response(
                        attempt, status_code=status, headers=headers, body=body[:ERROR_BODY_BYTES]
                    )
            await asyncio.sleep(self._delay_or_raise(call, attempt, decision))
            attempt += 1
