"""Run a real, local Airflow deployment (api-server, scheduler, dag-processor, triggerers, workers).

Used by ``make demo`` and by the deployment tests; usable in your own CI to run DAGs that use this
provider end to end against the emulator. Every component runs in its own process group, so
``stop_all()`` leaves nothing behind.

Two shapes:

- the default, LocalExecutor on a SQLite file: needs nothing but the Python environment Airflow is
  installed in;
- ``executor="CeleryExecutor"``: PostgreSQL as the metadata database and Redis as the broker, both
  started in throwaway directories (:mod:`~airflow_provider_veo.testing.stack_services`), Celery
  workers and several triggerers, each reporting its own hostname (``worker-1``, ``triggerer-2``).

>>> with AirflowStack(home=Path(".airflow"), dags_folder=Path("example_dags")) as stack:  # doctest: +SKIP
...     run_id = stack.trigger_dag("veo31_generate_to_storage", conf={})
...     stack.wait_for_run("veo31_generate_to_storage", run_id)
'success'
>>> AirflowStack(home=h, dags_folder=d, executor="CeleryExecutor", triggerers=2)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, TypeVar

from airflow_provider_veo.testing import component_hostname
from airflow_provider_veo.testing.stack_services import PostgresServer, RedisServer, free_port

CORE_COMPONENTS = ("api-server", "scheduler", "dag-processor")
TERMINAL_RUN_STATES = frozenset({"success", "failed"})

T = TypeVar("T")


class AirflowStackError(RuntimeError):
    """A component failed to start, died, or a wait ran out of time."""


class AirflowStack:
    """An Airflow 3 deployment of separate processes: LocalExecutor on SQLite, or Celery on PostgreSQL.

    :param home: ``AIRFLOW_HOME`` (SQLite file, logs, one log file per component).
    :param dags_folder: the DAGs to serve.
    :param env: extra environment of every component (connections, ``AIRFLOW__...`` settings).
    :param parallelism: ``[core] parallelism`` (default: 2 with LocalExecutor, which forks that many
        workers up front; Airflow's 32 with Celery, where the workers' slots are the limit).
    :param executor: ``LocalExecutor`` (on SQLite) or ``CeleryExecutor`` (on PostgreSQL with Redis).
    :param celery_workers: Celery workers (``worker-1`` ...), with ``CeleryExecutor``.
    :param worker_concurrency: task slots per Celery worker.
    :param triggerers: triggerer processes; one is named ``triggerer``, several ``triggerer-1`` ...
    """

    def __init__(
        self,
        *,
        home: Path,
        dags_folder: Path,
        env: Mapping[str, str] | None = None,
        parallelism: int | None = None,
        executor: Literal["LocalExecutor", "CeleryExecutor"] = "LocalExecutor",
        celery_workers: int = 2,
        worker_concurrency: int = 2,
        triggerers: int = 1,
    ) -> None:
        if executor not in ("LocalExecutor", "CeleryExecutor"):
            raise ValueError(f"executor must be LocalExecutor or CeleryExecutor, got {executor!r}")
        if triggerers < 1 or celery_workers < 1 or worker_concurrency < 1:
            raise ValueError("triggerers, celery_workers and worker_concurrency must be >= 1")
        self.home = home.resolve()
        self.dags_folder = dags_folder.resolve()
        self.logs_dir = self.home / "component-logs"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.executor = executor
        self.worker_concurrency = worker_concurrency
        celery = executor == "CeleryExecutor"
        self.triggerers = ("triggerer",) if triggerers == 1 else _numbered("triggerer", triggerers)
        self.workers = _numbered("worker", celery_workers) if celery else ()
        self.components = (*CORE_COMPONENTS, *self.triggerers, *self.workers)
        self.database = PostgresServer() if celery else None
        self.broker = RedisServer() if celery else None
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._log_files: dict[str, IO[bytes]] = {}
        self._airflow = str(Path(sys.executable).with_name("airflow"))
        if parallelism is None:
            parallelism = 32 if celery else 2
        self.env = self._build_env(env or {}, parallelism)

    @property
    def distributed(self) -> bool:
        """Whether several processes of one kind run, so each needs its own hostname."""
        return bool(self.workers) or len(self.triggerers) > 1

    def _build_env(self, extra: Mapping[str, str], parallelism: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        sql_alchemy_conn = (
            self.database.sqlalchemy_url if self.database else f"sqlite:///{self.home / 'airflow.db'}"
        )
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__EXECUTOR": self.executor,
                "AIRFLOW__CORE__PARALLELISM": str(parallelism),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql_alchemy_conn,
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__BASE_URL": self.base_url,
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "10",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            }
        )
        if self.database and self.broker:
            env.update(
                {
                    "AIRFLOW__CELERY__BROKER_URL": self.broker.url,
                    "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{sql_alchemy_conn}",
                    "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
                }
            )
        if self.distributed:
            env["AIRFLOW__CORE__HOSTNAME_CALLABLE"] = component_hostname.CALLABLE_PATH
        env.update(extra)
        return env

    # --- processes ----------------------------------------------------------------------------------

    def start_services(self) -> None:
        """Start PostgreSQL and Redis (Celery only); ``stop_services()`` removes them."""
        for service in (self.database, self.broker):
            if service is not None:
                service.start()

    def stop_services(self) -> None:
        for service in (self.broker, self.database):
            if service is not None:
                service.stop()

    def migrate(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [self._airflow, "db", "migrate"],
            env=self.env,
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _command(self, component: str) -> list[str]:
        if component in self.workers:
            # --skip-serve-logs: workers on one machine would all bind the worker log port.
            return ["celery", "worker", "-H", f"{component}@%h", "-c", str(self.worker_concurrency),
                    "--skip-serve-logs"]  # fmt: skip
        if component in self.triggerers:
            return ["triggerer", "--skip-serve-logs"]
        if component == "scheduler":
            return ["scheduler", "--skip-serve-logs"]
        if component in CORE_COMPONENTS:
            return [component]
        raise ValueError(f"Unknown component {component!r}; this stack runs {', '.join(self.components)}")

    def start(self, component: str) -> subprocess.Popen[bytes]:
        """Start one component in its own process group (replacing a stopped one)."""
        args = [self._airflow, *self._command(component)]
        env = dict(self.env)
        if self.distributed:
            env[component_hostname.HOSTNAME_ENV] = component
        log = (self.logs_dir / f"{component}.log").open("ab")
        process = subprocess.Popen(
            args,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._processes[component] = process
        self._log_files[component] = log
        return process

    def stop(self, component: str, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Stop one component and everything it started."""
        process = self._processes.get(component)
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(sig)
        self._reap(component, timeout)

    def kill(self, component: str) -> None:
        """SIGKILL a component's whole process group at once, as a crashed host would (no clean-up)."""
        process = self._processes[component]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        self._reap(component, timeout=10.0)

    def stop_all(self) -> None:
        """Stop every component: all are signalled first, so their shutdowns overlap."""
        for process in self._processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for component in list(self._processes):
            self._reap(component, timeout=30.0)

    def _reap(self, component: str, timeout: float) -> None:
        """Wait for a signalled component, then for (or kill) what is left of its process group."""
        process = self._processes.pop(component)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
        _kill_group(process.pid)
        process.wait(timeout=10)
        self._log_files.pop(component).close()

    def pid(self, component: str) -> int:
        return self._processes[component].pid

    def log_tail(self, component: str, lines: int = 40) -> str:
        path = self.logs_dir / f"{component}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _check_alive(self) -> None:
        for component, process in self._processes.items():
            if process.poll() is not None:
                raise AirflowStackError(
                    f"Airflow {component} exited with code {process.returncode}:\n{self.log_tail(component)}"
                )

    def wait(
        self, predicate: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.5
    ) -> T:
        """Poll ``predicate`` until it returns a truthy value; fail fast if a component died."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            try:
                value = predicate()
            except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError):
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise AirflowStackError(f"Timed out after {timeout:g} s waiting for {what}")
            time.sleep(interval)

    # --- REST ---------------------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback URL built by this class
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def healthy(self) -> bool:
        health = self.api("GET", "/api/v2/monitor/health")
        return all(
            health[key]["status"] == "healthy"
            for key in ("metadatabase", "scheduler", "triggerer", "dag_processor")
        )

    def workers_ready(self) -> bool:
        """Whether every Celery worker logged that it is ready (workers are not in the health API)."""
        return all(" ready." in self.log_tail(worker, lines=200) for worker in self.workers)

    def wait_until_ready(self, dag_id: str, timeout: float = 240.0) -> None:
        """Every component healthy, the Execution API built and ``dag_id`` parsed."""
        self.wait(self.healthy, timeout=timeout, what="all components healthy")
        self.wait(self.workers_ready, timeout=timeout, what="Celery workers ready")
        self.warm_up_execution_api(timeout=timeout)
        self.wait(
            lambda: any(d["dag_id"] == dag_id for d in self.api("GET", "/api/v2/dags")["dags"]),
            timeout=timeout,
            what=f"DAG {dag_id} parsed",
        )

    def warm_up_execution_api(self, timeout: float = 120.0) -> None:
        """Make the api-server build its Execution API now (its first request takes 10-30 s).

        Until then the first task's ``/execution`` calls stall the whole api-server, long enough for
        tasks started together to time out and be killed.
        """
        self.wait(lambda: self.api("GET", "/execution/health"), timeout=timeout, what="the Execution API")

    def trigger_dag(
        self, dag_id: str, *, conf: Mapping[str, Any] | None = None, run_id: str | None = None
    ) -> str:
        run_id = run_id or f"manual__{int(time.time() * 1000)}"
        body = {"dag_run_id": run_id, "logical_date": None, "conf": dict(conf or {})}
        return str(self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300.0) -> str:
        return self.wait(
            lambda: state if (state := self.run_state(dag_id, run_id)) in TERMINAL_RUN_STATES else None,
            timeout=timeout,
            what=f"DAG run {run_id} to finish",
        )

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        )
        return result

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.api("GET", path)["value"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        ti_path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        path = f"{ti_path}/logs/{try_number}?full_content=true"
        content = self.api("GET", path).get("content", [])
        if isinstance(content, list):
            return "\n".join(
                str(item.get("event", item)) if isinstance(item, dict) else str(item) for item in content
            )
        return str(content)

    # --- context manager ----------------------------------------------------------------------------

    def __enter__(self) -> AirflowStack:
        try:
            self.start_services()
            self.migrate()
            for component in self.components:
                self.start(component)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.stop_all()
        finally:
            self.stop_services()


def _numbered(kind: str, count: int) -> tuple[str, ...]:
    return tuple(f"{kind}-{n}" for n in range(1, count + 1))


def _kill_group(pgid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
