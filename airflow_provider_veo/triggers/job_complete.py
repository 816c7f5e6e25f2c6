"""Wait in the triggerer, without a worker slot, until a Scenario job finishes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_veo.exceptions import ScenarioError, ScenarioPermanentError, ScenarioTransportError
from airflow_provider_veo.hooks.retry_policy import check_delay
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
from airflow_provider_veo.triggers.job_watch import SILENT_INTERVALS, Polling
from airflow_provider_veo.triggers.job_watcher import watch_job
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
    :param polling: ``"coalesced"`` (default): the triggers of one triggerer share one listing of
        recently updated jobs per interval (:mod:`.job_watcher`), and each reads its own job only
        to confirm an outcome, after ten silent intervals and at the deadline, so API requests grow
        far slower than the number of waiting jobs; if listing fails they fall back to
        ``"per_job"``: one ``GET /jobs/{id}`` per trigger per interval.
    :param label: starts each progress line, e.g. ``step 3/10`` for one step of an Extend chain.
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
        polling: Polling | str = Polling.COALESCED,
        label: str | None = None,
        try_number: int | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        check_delay("poll_interval", poll_interval, allow_zero=False)
        check_delay("end_time", end_time)
        if isinstance(max_consecutive_failures, bool) or max_consecutive_failures < 1:
            raise ValueError(f"max_consecutive_failures must be at least 1, got {max_consecutive_failures!r}")
        self.job_id = job_id
        self.end_time = float(end_time)
        self.scenario_conn_id = scenario_conn_id
        self.project_id = project_id
        self.poll_interval = float(poll_interval)
        self.max_consecutive_failures = int(max_consecutive_failures)
        try:
            self.polling = Polling(polling)
        except ValueError:
            known = ", ".join(repr(mode.value) for mode in Polling)
            raise ValueError(f"polling must be one of {known}, got {polling!r}") from None
        self.label = label
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
                "polling": self.polling.value,
                "label": self.label,
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
            label=self.label,
        )
        try:
            async with self._hook() as hook:
                return await self._poll(hook, poller)
        except ScenarioError as error:  # the hook could not be set up, e.g. a missing connection
            return poller.error_event(
                f"{type(error).__name__}: {error}", permanent=isinstance(error, ScenarioPermanentError)
            )

    async def _poll(self, hook: ScenarioAsyncHook, poller: JobPoller) -> JobEvent:
        if self.polling is Polling.COALESCED:
            return await self._poll_coalesced(hook, poller)
        while True:
            event = await self._read_own_job(hook, poller)
            if event is not None:
                return event
            await asyncio.sleep(poller.next_delay(self.poll_interval))

    async def _read_own_job(self, hook: ScenarioAsyncHook, poller: JobPoller) -> JobEvent | None:
        """One direct ``GET /jobs/{id}``; the final event when the wait is over."""
        try:
            job = await hook.get_job(self.job_id, deadline=self.end_time)
        except Exception as error:  # whatever it is, the poller turns it into an event or a retry
            event = poller.on_error(error)
        else:
            event = poller.on_job(job)
        return event or poller.on_deadline()

    async def _poll_coalesced(self, hook: ScenarioAsyncHook, poller: JobPoller) -> JobEvent:
        """Wait for the shared watcher's reports; read the job directly only when it matters:
        when it is reported finished, after :data:`SILENT_INTERVALS` of silence (which also covers
        a job that finished before the trigger started), at the deadline, and for good once the
        watcher gave up (per-job polling)."""
        async with watch_job(
            conn_id=self.scenario_conn_id,
            project_id=self.project_id,
            job_id=self.job_id,
            interval=self.poll_interval,
        ) as subscription:
            event: JobEvent | None = None
            while event is None:
                silence = min(self.poll_interval * SILENT_INTERVALS, max(self.end_time - time.time(), 0.0))
                reported = await subscription.next_report(timeout=poller.next_delay(silence))
                if subscription.fallback:
                    return await self._poll_per_job(hook, poller)
                if reported is not None and not reported.status.is_terminal and time.time() < self.end_time:
                    poller.on_job(reported)  # progress, as listed
                    continue
                event = await self._read_own_job(hook, poller)
            return event

    async def _poll_per_job(self, hook: ScenarioAsyncHook, poller: JobPoller) -> JobEvent:
        while True:
            await asyncio.sleep(poller.next_delay(self.poll_interval))
            event = await self._read_own_job(hook, poller)
            if event is not None:
                return event

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
