"""Asynchronous hook for the Scenario API (used by triggers), over one shared ``aiohttp`` pool per loop."""

from __future__ import annotations

import asyncio
import json
import weakref
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from airflow_provider_veo._compat import (
    AirflowNotFoundException,
    amask_secret,
    get_async_connection,
    get_async_extra_dejson,
)
from airflow_provider_veo.exceptions import ScenarioAPIError
from airflow_provider_veo.hooks import endpoints
from airflow_provider_veo.hooks.base import ScenarioBaseHook
from airflow_provider_veo.hooks.connection_settings import (
    DEFAULT_CONN_ID,
    USER_AGENT,
    ScenarioConnectionSettings,
    missing_connection,
    resolve_settings,
)
from airflow_provider_veo.hooks.endpoints import api_path, unwrap
from airflow_provider_veo.hooks.retry_policy import RetriedCall

POOL_LIMIT = 100
"""Most TCP connections the shared session opens at once (per event loop)."""


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


class ScenarioAsyncHook(ScenarioBaseHook):
    """Non-blocking twin of :class:`~airflow_provider_veo.hooks.scenario.ScenarioHook` for triggers.

    Every instance used in one event loop shares one ``aiohttp.ClientSession`` (one connection pool):
    the first ``async with`` opens it, the last one to exit closes it. Credentials travel per request,
    so hooks on different connections still share the pool. The connection is resolved with
    ``await BaseHook.aget_connection()``; nothing here blocks the loop.

    Transient failures (connection errors, timeouts, 408, 429 honouring ``Retry-After``, 5xx) are
    retried ``max_retries`` times with exponential backoff and jitter.

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

    async def get_job(self, job_id: str) -> dict[str, Any]:
        """The job object of ``GET /jobs/{job_id}`` (same as ``ScenarioHook.get_job``)."""
        return dict(await self._call_for("job", "GET", api_path(endpoints.JOB, job_id)))

    async def cancel_job(self, job_id: str) -> dict[str, Any]:
        """Ask the API to cancel a job; returns the job (``ScenarioInvalidRequestError`` if refused).

        Retried like a read: repeating a cancel cannot create or bill anything.
        """
        path = api_path(endpoints.JOB_ACTION, job_id)
        return dict(await self._call_for("job", "POST", path, json_body=endpoints.CANCEL_ACTION))

    async def _call_for(self, key: str, method: str, path: str, *, json_body: Any = None) -> Any:
        """Call the API with the retry rules and return the ``key`` field of the JSON response."""
        session = self.session
        settings = self._settings
        assert settings is not None  # set by __aenter__, before the session
        call = RetriedCall(
            policy=self.retry_policy,
            method=method,
            path=path,
            base_url=settings.base_url,
            secrets=settings.secrets,
        )
        timeout = aiohttp.ClientTimeout(total=settings.timeout, sock_connect=settings.connect_timeout)
        attempt = 0
        while True:
            try:
                async with session.request(
                    method,
                    settings.base_url + path,
                    params=settings.query(),
                    json=json_body,
                    headers={"Authorization": settings.authorization},
                    timeout=timeout,
                ) as response:
                    status, headers, body = response.status, response.headers, await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                decision = call.after_transport_error(attempt, exc)
            else:
                if status < 400:
                    try:
                        payload = json.loads(body)
                    except ValueError:
                        raise ScenarioAPIError(
                            status_code=status, reason="the response is not JSON", method=method, path=path
                        ) from None
                    return unwrap(payload, key, method=method, path=path, status_code=status)
                decision = call.after_error_response(attempt, status_code=status, headers=headers, body=body)
            await asyncio.sleep(self._delay_or_raise(call, attempt, decision))
            attempt += 1
