"""Wait in the triggerer, without a worker slot, until a Scenario job finishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_veo.exceptions import ScenarioError, ScenarioTransportError
from airflow_provider_veo.hooks.scenario_async import ScenarioAsyncHook
from airflow_provider_veo.triggers.job_event import JobEvent
from airflow_provider_veo.triggers.job_polling import (
    CANCEL_REQUEST_RETRIES,
    CANCEL_TIMEOUT,
    DEFAULT_MAX_CONSECUTIVE_FAILURES,
    POLL_REQUEST_RETRIES,
    JobPoller,
    report_cancel,
)
from airflow_provider_veo.triggers.stale_event import TRY_NUMBER_KEY


class JobCompleteTrigger(BaseTrigger):
    """Poll ``GET /jobs/{job_id}`` until the job finishes or ``end_time`` passes; yield exactly one event.

    The event payload is :meth:`JobEvent.to_payload`: ``status`` is ``success`` (with ``asset_ids`` and
    ``cost``), ``failure`` (with the API's ``error`` and ``hint``), ``canceled``, ``timeout`` or ``error``.
    Read it back with :func:`~airflow_provider_veo.triggers.job_event.validate_job_event`.

    The trigger only reads (``run()`` may run more than once: after a triggerer restart it resumes
    polling the same job), serializes no credential, and keeps one HTTP connection pool per event
    loop for all its instances (see :class:`ScenarioAsyncHook`).

    :param job_id: the Scenario job to wait on.
    :param end_time: the deadline, as a wall-clock epoch (``time.time() + timeout``), so it holds across
        triggerer restarts and hosts.
    :param scenario_conn_id: the Airflow connection (type ``scenario``).
    :param project_id: the Scenario project, when not the connection's.
    :param poll_interval: seconds between polls (each sleep is jittered by ±10 %).
    :param max_consecutive_failures: polls in a row that may fail transiently (429, 5xx, connection
        trouble; each poll request is retried once quickly by the hook) before the trigger gives up
        with an ``error`` event. A 429's ``Retry-After`` is honoured.
    :param try_number: the deferring task's try, echoed in the event (see
        :mod:`~airflow_provider_veo.triggers.stale_event`).

    >>> import time
    >>> trigger = JobCompleteTrigger(job_id="job_123", end_time=time.time() + 3600)
    """

    cancel_timeout: ClassVar[float] = CANCEL_TIMEOUT
    """Seconds :meth:`on_kill` may spend (connection lookup and one cancel request, never retried)."""

    def __init__(
        self,
        *,
        job_id: str,
        end_time: float,
        scenario_conn_id: str = ScenarioAsyncHook.default_conn_name,
        project_id: str | None = None,
        poll_interval: float = 10.0,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        try_number: int | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be a positive number of seconds, got {poll_interval!r}")
        if max_consecutive_failures < 1:
            raise ValueError(f"max_consecutive_failures must be at least 1, got {max_consecutive_failures!r}")
        self.job_id = job_id
        self.end_time = float(end_time)
        self.scenario_conn_id = scenario_conn_id
        self.project_id = project_id
        self.poll_interval = float(poll_interval)
        self.max_consecutive_failures = int(max_consecutive_failures)
        self.try_number = try_number

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "end_time": self.end_time,
                "scenario_conn_id": self.scenario_conn_id,
                "project_id": self.project_id,
                "poll_interval": self.poll_interval,
                "max_consecutive_failures": self.max_consecutive_failures,
                TRY_NUMBER_KEY: self.try_number,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        event = await self._wait()
        yield TriggerEvent({**event.to_payload(), TRY_NUMBER_KEY: self.try_number})  # type: ignore[no-untyped-call]

    async def _wait(self) -> JobEvent:
        poller = JobPoller(
            job_id=self.job_id,
            end_time=self.end_time,
            max_consecutive_failures=self.max_consecutive_failures,
            log=self.log,
        )
        try:
            async with self._hook() as hook:
                return await self._poll(hook, poller)
        except ScenarioError as error:  # the hook could not be set up, e.g. a missing connection
            return poller.error_event(f"{type(error).__name__}: {error}")

    async def _poll(self, hook: ScenarioAsyncHook, poller: JobPoller) -> JobEvent:
        while True:
            try:
                job = await hook.get_job(self.job_id)
            except Exception as error:  # whatever it is, the poller turns it into an event or a retry
                event = poller.on_error(error)
            else:
                event = poller.on_job(job)
            event = event or poller.on_deadline()
            if event is not None:
                return event
            await asyncio.sleep(poller.next_delay(self.poll_interval))

    async def on_kill(self) -> None:
        """Try to cancel the job when a user kills the deferred task (Airflow 3.3 calls this).

        One cancel request, not retried, given at most :attr:`cancel_timeout` seconds: the triggerer
        abandons ``on_kill`` after ``[triggerer] on_kill_timeout`` (30 s by default). Scenario refuses
        to cancel most generation jobs: the job then goes on and its credits are spent, which is
        logged plainly. Not called on triggerer restarts (see ``cleanup``).
        """
        error: ScenarioError | None = None
        try:
            await asyncio.wait_for(self._cancel(), self.cancel_timeout)
        except asyncio.TimeoutError:
            error = ScenarioTransportError(f"no answer within {self.cancel_timeout:g} s")
        except ScenarioError as refused:
            error = refused
        report_cancel(self.log, self.job_id, error)

    async def _cancel(self) -> None:
        async with self._hook(max_retries=CANCEL_REQUEST_RETRIES) as hook:
            await hook.cancel_job(self.job_id)

    def _hook(self, *, max_retries: int = POLL_REQUEST_RETRIES) -> ScenarioAsyncHook:
        return ScenarioAsyncHook(
            scenario_conn_id=self.scenario_conn_id,
            project_id=self.project_id,
            max_retries=max_retries,
        )
