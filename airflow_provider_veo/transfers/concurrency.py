"""Thread plumbing of the transfer: per-thread HTTP sessions, and running every copy to its end."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Protocol, TypeVar

import requests

from airflow_provider_veo.exceptions import AssetTransferError
from airflow_provider_veo.hooks.scenario import ScenarioHook

log = logging.getLogger(__name__)


class _AssetWork(Protocol):
    """One unit of work, named by the asset it copies."""

    @property
    def asset_id(self) -> str: ...


W = TypeVar("W", bound=_AssetWork)
T = TypeVar("T")


class WorkerResources:
    """Per-thread Scenario hook and plain CDN session (sessions are not shared between threads).

    .. code-block:: python

        resources = WorkerResources(ScenarioHook)
        try:
            ...  # in each worker thread: resources.hook(), resources.cdn_session()
        finally:
            resources.close()
    """

    def __init__(self, make_hook: Callable[[], ScenarioHook]) -> None:
        self._make_hook = make_hook
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions: list[requests.Session] = []

    def hook(self) -> ScenarioHook:
        hook: ScenarioHook | None = getattr(self._local, "hook", None)
        if hook is None:
            hook = self._local.hook = self._make_hook()
            self._track(hook.session)
        return hook

    def cdn_session(self) -> requests.Session:
        # Signed URLs carry their own authorization: the API's Basic credentials must never reach the CDN.
        session: requests.Session | None = getattr(self._local, "cdn_session", None)
        if session is None:
            session = self._local.cdn_session = requests.Session()
            self._track(session)
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def _track(self, session: requests.Session) -> None:
        with self._lock:
            self._sessions.append(session)


def run_all(pool: ThreadPoolExecutor, items: Sequence[W], work: Callable[[W], T]) -> list[T]:
    """Run ``work`` on every item; let all of them finish, then raise if any failed.

    Returns the results in the order of ``items``. One failure is re-raised as is; several are
    summed up in one :class:`AssetTransferError` chained to the first.
    """
    futures = {pool.submit(work, item): index for index, item in enumerate(items)}
    results: dict[int, T] = {}
    failures: list[tuple[W, BaseException]] = []
    for future in as_completed(futures):
        index = futures[future]
        error = future.exception()
        if error is None:
            results[index] = future.result()
        else:
            log.error("Asset %s: transfer failed: %s", items[index].asset_id, error)
            failures.append((items[index], error))
    if len(failures) == 1:
        raise failures[0][1]
    if failures:
        summary = "; ".join(f"{item.asset_id}: {error}" for item, error in failures)
        raise AssetTransferError(
            f"{len(failures)} of {len(items)} assets failed (the others are in place): {summary}"
        ) from failures[0][1]
    return [results[index] for index in range(len(items))]
