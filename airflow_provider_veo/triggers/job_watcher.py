"""One shared job watcher per (connection, project, event loop): coalesced polling for triggers.

At 10,000 waiting jobs and a 1 s interval, per-job polling sends 10,000 requests a second. Instead,
every :class:`~airflow_provider_veo.triggers.job_complete.JobCompleteTrigger` of a triggerer
subscribes to the watcher of its connection and project, which lists the recently updated jobs
once per interval (see :mod:`.job_watch`) and wakes the subscribers whose job changed.

List semantics we could not verify on the real API are never trusted alone: a trigger reads its own
job directly before yielding its event, at its deadline, and when the watcher has not reported it
for :data:`~.job_watch.SILENT_INTERVALS` intervals. If a listing fails or misbehaves (an error, a
refused filter, a malformed page), the watcher stops, logs it once, and every subscriber falls back
to per-job polling.

.. code-block:: python

    async with watch_job(conn_id="scenario_default", project_id=None, job_id="job_1", interval=10) as sub:
        job = await sub.next_report(timeout=30)  # a Job, or None on silence
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Final

from airflow_provider_veo.exceptions import ScenarioError
from airflow_provider_veo.hooks.endpoints import Pagination
from airflow_provider_veo.hooks.scenario_async import ScenarioAsyncHook
from airflow_provider_veo.models.api import Job
from airflow_provider_veo.triggers.job_watch import MAX_LIST_PAGES, ListingCursor, is_news

log = logging.getLogger(__name__)

LIST_REQUEST_RETRIES: Final = 1


class Subscription:
    """One trigger's mailbox: the latest report of its job, and whether the watcher gave up."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.latest: Job | None = None
        self.last: tuple[str, int] | None = None
        self.fallback = False
        self._news = asyncio.Event()

    def deliver(self, job: Job) -> None:
        if is_news(job, self.last):
            self.last = (job.status.value, job.progress_percent)
            self.latest = job
            self._news.set()

    def give_up(self) -> None:
        self.fallback = True
        self._news.set()

    async def next_report(self, *, timeout: float) -> Job | None:
        """The job as last listed when it changed, or ``None`` after ``timeout`` s of silence."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._news.wait(), max(timeout, 0.0))
        self._news.clear()
        job, self.latest = self.latest, None
        return job


class JobWatcher:
    """Lists the project's recently updated jobs once per interval for all its subscribers."""

    def __init__(self, *, conn_id: str, project_id: str | None, interval: float) -> None:
        self.conn_id = conn_id
        self.project_id = project_id
        self.interval = interval
        self.subscriptions: dict[str, list[Subscription]] = {}
        self.failed = False
        self.listings = 0
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, job_id: str, interval: float) -> Subscription:
        subscription = Subscription(job_id)
        if self.failed:
            subscription.give_up()
        self.subscriptions.setdefault(job_id, []).append(subscription)
        self.interval = min(self.interval, interval)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"scenario-watch-{self.conn_id}"
            )
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self.subscriptions.get(subscription.job_id, [])
        if subscription in subscribers:
            subscribers.remove(subscription)
        if not subscribers:
            self.subscriptions.pop(subscription.job_id, None)

    async def _run(self) -> None:
        cursor = ListingCursor(start=datetime.now(timezone.utc))
        try:
            async with ScenarioAsyncHook(
                scenario_conn_id=self.conn_id, project_id=self.project_id, max_retries=LIST_REQUEST_RETRIES
            ) as hook:
                while self.subscriptions:
                    await asyncio.sleep(self.interval)
                    if not self.subscriptions:
                        break
                    await self._list_once(hook, cursor)
        except ScenarioError as error:
            self._fall_back(error)
        except Exception as error:  # never let a listing bug strand the triggers
            self._fall_back(error)
        finally:
            self._task = None

    async def _list_once(self, hook: ScenarioAsyncHook, cursor: ListingCursor) -> None:
        params = cursor.params()
        pages = Pagination(method="GET", path="/jobs", max_pages=MAX_LIST_PAGES)
        listed: list[Job] = []
        while True:
            page = await hook.list_jobs_page(params)
            self.listings += 1
            listed.extend(page.jobs)
            try:
                token = pages.next_token(page.next_pagination_token)
            except ScenarioError:
                break  # more than MAX_LIST_PAGES updated jobs: the rest come with the next listing
            if token is None:
                break
            params = {**params, "paginationToken": token}
        cursor.advance(listed)
        for job in listed:
            for subscription in self.subscriptions.get(job.job_id, ()):
                subscription.deliver(job)

    def _fall_back(self, error: BaseException) -> None:
        if not self.failed:
            log.warning(
                "Listing Scenario jobs for coalesced polling failed (%s: %s); the %d waiting trigger(s) "
                "of connection %r poll their own jobs from now on",
                type(error).__name__,
                error,
                len(self.subscriptions),
                self.conn_id,
            )
        self.failed = True
        for subscribers in self.subscriptions.values():
            for subscription in subscribers:
                subscription.give_up()


_WATCHERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str | None], JobWatcher]] = (
    weakref.WeakKeyDictionary()
)


def watcher_for(conn_id: str, project_id: str | None, interval: float) -> JobWatcher:
    """The running loop's watcher for this connection and project (created on first use)."""
    watchers = _WATCHERS.setdefault(asyncio.get_running_loop(), {})
    watcher = watchers.get((conn_id, project_id))
    if watcher is None:
        watcher = watchers[(conn_id, project_id)] = JobWatcher(
            conn_id=conn_id, project_id=project_id, interval=interval
        )
    return watcher


@asynccontextmanager
async def watch_job(
    *, conn_id: str, project_id: str | None, job_id: str, interval: float
) -> AsyncIterator[Subscription]:
    """Subscribe to the shared watcher for the duration of the block."""
    watcher = watcher_for(conn_id, project_id, interval)
    subscription = watcher.subscribe(job_id, interval)
    try:
        yield subscription
    finally:
        watcher.unsubscribe(subscription)
