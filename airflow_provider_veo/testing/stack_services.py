"""PostgreSQL and Redis for :class:`~airflow_provider_veo.testing.airflow_stack.AirflowStack`.

Each server runs from a throwaway directory on a free loopback port and is removed by ``stop()``
(the ``with`` block's exit). They need the Debian packages ``postgresql`` and ``redis-server``
(``make system`` installs them). PostgreSQL refuses to run as root, so as root its commands run
as the ``postgres`` user, from a directory that user owns.

>>> with PostgresServer() as db, RedisServer() as broker:  # doctest: +SKIP
...     db.sqlalchemy_url, broker.url
('postgresql://airflow@127.0.0.1:40123/airflow', 'redis://127.0.0.1:40124/0')
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TypeVar

PG_USER = "postgres"
"""The OS user PostgreSQL runs as when we are root."""
DATABASE = "airflow"


class ServiceError(RuntimeError):
    """A server is not installed or did not start."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    initdb = candidates[-1] if candidates else shutil.which("initdb")
    if not initdb:
        raise ServiceError("PostgreSQL is not installed (initdb not found); run `make system`")
    return Path(initdb).parent


def _version_key(path: str) -> int:
    version = Path(path).parents[1].name
    return int(version) if version.isdigit() else 0


_ServiceT = TypeVar("_ServiceT", bound="_Service")


class _Service:
    """A server started by ``start()`` (or ``with``) and removed, with its directory, by ``stop()``."""

    def __enter__(self: _ServiceT) -> _ServiceT:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class PostgresServer(_Service):
    """A PostgreSQL cluster with an ``airflow`` database, trust auth, tuned for speed (no fsync)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory: Path | None = None
        self._bindir = _postgres_bindir()
        self._as_root = os.geteuid() == 0

    @property
    def sqlalchemy_url(self) -> str:
        return f"postgresql://airflow@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def data_dir(self) -> Path:
        assert self.directory is not None, "PostgreSQL is not started"
        return self.directory / "data"

    def _run(self, *args: str) -> None:
        command = [str(self._bindir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", PG_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise ServiceError(f"{args[0]} failed ({result.returncode}): {result.stderr or result.stdout}")

    def start(self) -> None:
        # Not under a 0700 pytest directory: the postgres user must reach it.
        self.directory = Path(tempfile.mkdtemp(prefix="airflow-stack-pg-"))
        try:
            if self._as_root:
                shutil.chown(self.directory, PG_USER, PG_USER)
            self.directory.chmod(0o700)
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", "airflow", "-A", "trust", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync", "--no-instructions",
            )  # fmt: skip
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.directory / "pg.log"), "-w",
                      "-o", options, "start")  # fmt: skip
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "airflow", DATABASE)
        except BaseException:
            self.stop()
            raise

    def log_tail(self, lines: int = 40) -> str:
        path = self.directory / "pg.log" if self.directory else None
        if path is None or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.directory is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(ServiceError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None


class RedisServer(_Service):
    """A Redis server without persistence, for the Celery broker."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceError("Redis is not installed (redis-server not found); run `make system`")
        self._binary = binary

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="airflow-stack-redis-"))
        args = [self._binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                "--save", "", "--appendonly", "no", "--daemonize", "no"]  # fmt: skip
        with (self.directory / "redis.log").open("ab") as log:
            self._process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        try:
            self._wait_for_pong(timeout=20)
        except BaseException:
            self.stop()
            raise

    def _wait_for_pong(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ServiceError(f"redis-server exited with code {self._process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise ServiceError(f"Redis did not answer PING within {timeout:g} s")

    def stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGTERM)
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=5)
            self._process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
