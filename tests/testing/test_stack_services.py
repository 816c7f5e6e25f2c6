"""PostgreSQL and Redis for the Celery stack: they start on loopback, serve, and leave nothing behind."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from airflow_provider_veo.testing.airflow_stack import AirflowStack
from airflow_provider_veo.testing.component_hostname import CALLABLE_PATH
from airflow_provider_veo.testing.stack_services import PostgresServer, RedisServer


def refuses_connections(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_postgres_serves_the_airflow_database_then_is_removed() -> None:
    with PostgresServer() as server:
        directory = server.directory
        assert directory is not None
        with psycopg.connect(server.sqlalchemy_url) as conn:
            row = conn.execute("SELECT current_database(), current_user").fetchone()
        assert row == ("airflow", "airflow")
    assert not directory.exists()
    assert refuses_connections(server.port)


def test_redis_answers_ping_then_is_removed() -> None:
    with RedisServer() as server:
        directory = server.directory
        assert directory is not None
        with socket.create_connection(("127.0.0.1", server.port), 5) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(16) == b"+PONG\r\n"
    assert not directory.exists()
    assert refuses_connections(server.port)


def test_celery_stack_names_each_worker_and_triggerer(tmp_path: Path) -> None:
    stack = AirflowStack(
        home=tmp_path, dags_folder=tmp_path, executor="CeleryExecutor", celery_workers=2, triggerers=2
    )
    assert stack.components == (
        "api-server", "scheduler", "dag-processor", "triggerer-1", "triggerer-2", "worker-1", "worker-2",
    )  # fmt: skip
    assert stack.database is not None
    assert stack.broker is not None
    assert stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == stack.database.sqlalchemy_url
    assert stack.env["AIRFLOW__CELERY__BROKER_URL"] == stack.broker.url
    assert stack.env["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == CALLABLE_PATH


def test_default_stack_is_unchanged_local_executor_on_sqlite(tmp_path: Path) -> None:
    stack = AirflowStack(home=tmp_path, dags_folder=tmp_path)
    assert stack.components == ("api-server", "scheduler", "dag-processor", "triggerer")
    assert stack.database is None
    assert stack.env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite:///")
    assert "AIRFLOW__CORE__HOSTNAME_CALLABLE" not in stack.env
    with pytest.raises(ValueError, match="Unknown component"):
        stack.start("worker-1")
