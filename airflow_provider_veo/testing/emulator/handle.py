"""The Python handle on a running emulator: start it in a thread, inject faults, read counters."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from airflow_provider_veo.testing.emulator import route_keys
from airflow_provider_veo.testing.emulator.config import EmulatorConfig
from airflow_provider_veo.testing.emulator.faults import Fault, FaultRule
from airflow_provider_veo.testing.emulator.route_keys import ANY_ROUTE, check_route
from airflow_provider_veo.testing.emulator.server import EmulatorServer
from airflow_provider_veo.testing.emulator.state import EmulatorState
from airflow_provider_veo.testing.emulator.web_app import WEB_APP_PREFIX

_START_TIMEOUT = 10.0


class ScenarioEmulator:
    """A Scenario API emulator serving on 127.0.0.1 from a background thread.

    >>> with ScenarioEmulator(EmulatorConfig(job_duration=0.1)) as emu:  # doctest: +SKIP
    ...     emu.inject(Fault.status(503), route="GET /jobs/{jobId}", times=2)
    ...     requests.get(emu.base_url + "/models/model_veo3-1", auth=(emu.api_key, emu.api_secret))
    """

    def __init__(
        self, config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or EmulatorConfig()
        self._state = EmulatorState(self.config)
        self._server = EmulatorServer(self._state, host=host, port=port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle -----------------------------------------------------------------------------------

    def start(self) -> ScenarioEmulator:
        if self._thread is not None:
            raise RuntimeError("The emulator is already running")
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._server.start())
            except BaseException as exc:
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._server.close())
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="scenario-emulator", daemon=True)
        self._thread.start()
        if not started.wait(_START_TIMEOUT):
            raise RuntimeError("The emulator did not start in time")
        if failure:
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_START_TIMEOUT)
        self._thread = None
        self._loop = None

    def __enter__(self) -> ScenarioEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- addresses and credentials --------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>`` (the CDN and the control API live here)."""
        return self._state.origin

    @property
    def base_url(self) -> str:
        """The API root, like ``https://api.cloud.scenario.com/v1``."""
        return self._state.origin + "/v1"

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def api_key(self) -> str:
        return self.config.api_key

    @property
    def api_secret(self) -> str:
        return self.config.api_secret

    def airflow_connection(
        self,
        conn_id: str = "scenario_default",
        *,
        project_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """JSON for ``AIRFLOW_CONN_<CONN_ID>`` pointing a ``scenario`` connection at the emulator.

        Its ``web_url`` is the emulator's job page (``<origin>/app``), so job links work too;
        ``extra`` adds or overrides extras (e.g. ``{"timeout": 2}``).
        """
        extras: dict[str, Any] = {"web_url": self.origin + WEB_APP_PREFIX}
        if project_id is not None:
            extras["project_id"] = project_id
        extras.update(extra or {})
        connection: dict[str, Any] = {
            "conn_type": "scenario",
            "description": f"{conn_id}: Scenario API emulator",
            "host": self.base_url,
            "login": self.api_key,
            "password": self.api_secret,
            "extra": extras,
        }
        return json.dumps(connection)

    # --- observation ----------------------------------------------------------------------------------

    def count(self, route: str) -> int:
        """Requests seen on a route key such as ``"GET /jobs/{jobId}"`` (``ValueError`` if unknown)."""
        check_route(route)
        with self._state.lock:
            return self._state.counters.routes[route]

    def count_method(self, method: str) -> int:
        """Requests seen with this HTTP method, on any route."""
        with self._state.lock:
            return self._state.counters.methods[method.upper()]

    def counters(self) -> dict[str, Any]:
        """Every counter, as ``GET /_emulator/counters`` returns them."""
        with self._state.lock:
            return self._state.counters.snapshot()

    @property
    def paid_submissions(self) -> int:
        """Jobs created by ``POST /generate`` (dry runs and refused requests excluded)."""
        with self._state.lock:
            return self._state.counters.paid_submissions

    @property
    def polls(self) -> int:
        return self.count(route_keys.GET_JOB)

    @property
    def downloads(self) -> int:
        return self.count(route_keys.CDN_GET)

    @property
    def tcp_connections(self) -> int:
        with self._state.lock:
            return self._state.counters.tcp_connections

    def job(self, job_id: str) -> dict[str, Any]:
        """The job as ``GET /jobs/{jobId}`` would return it now."""
        now = time.time()
        with self._state.lock:
            return self._state.job(job_id, project_id=None, now=now).to_json(now)

    def job_ids(self) -> list[str]:
        """Every job created so far, oldest first."""
        with self._state.lock:
            return list(self._state.jobs)

    # --- control --------------------------------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        route: str = ANY_ROUTE,
        times: int | None = None,
        fraction: float | None = None,
        skip: int = 0,
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests on ``route`` (or a ``fraction`` of them),
        after letting ``skip`` of them through. With neither ``times`` nor ``fraction`` only one is hit.
        """
        self._state.faults.add(FaultRule(fault=fault, route=route, times=times, fraction=fraction, skip=skip))

    def clear_faults(self) -> None:
        self._state.faults.clear()

    def fail_next_jobs(
        self, count: int = 1, *, error: str = "Generation failed", hint: str | None = None
    ) -> None:
        """The next ``count`` submitted jobs end in ``failure`` with ``metadata.error`` / ``hint``."""
        self._state.fail_next_jobs(count, error=error, hint=hint)

    def expire_urls(self) -> None:
        """Every signed URL issued so far is expired now (the CDN answers 403)."""
        self._state.expire_urls()

    def create_image_asset(
        self, *, width: int = 1280, height: int = 720, project_id: str | None = None
    ) -> str:
        """An existing image asset (a real PNG) to use as ``image`` or in ``referenceImages``."""
        return self._state.create_image_asset(
            width=width, height=height, project_id=project_id, now=time.time()
        ).asset_id

    def create_video_asset(self, *, size: int | None = None, project_id: str | None = None) -> str:
        """A video asset of exactly ``size`` bytes, streamed on demand (``None``: a real 8 s 720p MP4)."""
        return self._state.create_video_asset(size=size, project_id=project_id, now=time.time()).asset_id

    def reset(self) -> None:
        """Forget jobs, assets, uploads, faults and counters (the configured fault profile comes back)."""
        self._state.reset()


@contextmanager
def run_emulator(config: EmulatorConfig | None = None, *, port: int = 0) -> Iterator[ScenarioEmulator]:
    """Run an emulator on a free loopback port for the duration of the ``with`` block.

    >>> with run_emulator(EmulatorConfig(job_duration=1.0)) as emu:  # doctest: +SKIP
    ...     print(emu.base_url)
    http://127.0.0.1:40123/v1
    """
    emulator = ScenarioEmulator(config, port=port)
    with emulator:
        yield emulator
