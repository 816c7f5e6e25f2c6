"""Fixtures of the hook tests: fast-retrying hooks bound to the emulator, a valid Veo 3.1 body."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.veo31 import Veo31Request
from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator
from tests.support.optional import S3_AVAILABLE

if S3_AVAILABLE:
    from tests.support.s3_storage import moto_endpoint, s3_bucket  # noqa: F401

#: Millisecond backoffs so retry tests do not sleep.
FAST_BACKOFF = {"backoff_base": 0.001, "backoff_max": 0.005}


@pytest.fixture
def veo_body() -> dict[str, Any]:
    return Veo31Request(prompt="a red fox running through fresh snow", duration=4).to_api_body()


@pytest.fixture
def hook(scenario_emulator: ScenarioEmulator) -> ScenarioHook:
    """A ``ScenarioHook`` on ``scenario_default`` (the emulator), 3 retries with millisecond backoffs."""
    return ScenarioHook(max_retries=3, **FAST_BACKOFF)


@pytest.fixture
def make_hook(scenario_emulator: ScenarioEmulator) -> Callable[..., ScenarioHook]:
    """Build a ``ScenarioHook`` with millisecond backoffs and the given arguments."""

    def make(**kwargs: Any) -> ScenarioHook:
        return ScenarioHook(**{**FAST_BACKOFF, **kwargs})

    return make


@pytest.fixture
def set_connection(
    monkeypatch: pytest.MonkeyPatch, scenario_emulator: ScenarioEmulator
) -> Callable[..., None]:
    """Point ``conn_id`` (default ``scenario_default``) at the emulator with some fields changed."""

    def set_(conn_id: str = "scenario_default", **changes: Any) -> None:
        connection = json.loads(scenario_emulator.airflow_connection(conn_id))
        connection.update(changes)
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))

    return set_


@pytest.fixture
def strict_emulator(scenario_emulator_factory: Callable[..., Any]) -> Iterator[ScenarioEmulator]:
    """An emulator accepting only its own credentials (401 otherwise); ``scenario_default`` points at it.

    The default emulator accepts any non-empty key and secret, so rejected credentials need this one.
    """
    with scenario_emulator_factory(EmulatorConfig(strict_credentials=True)) as emulator:
        yield emulator


@pytest.fixture
def wrong_secret(strict_emulator: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch) -> ScenarioEmulator:
    """``scenario_default`` points at the strict emulator with a wrong API secret."""
    connection = json.loads(strict_emulator.airflow_connection())
    monkeypatch.setenv(
        "AIRFLOW_CONN_SCENARIO_DEFAULT", json.dumps({**connection, "password": "wrong-secret"})
    )
    return strict_emulator


@pytest.fixture
def closed_port_url() -> str:
    """An API root on a local port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
