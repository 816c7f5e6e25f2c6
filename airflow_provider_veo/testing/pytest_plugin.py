"""Pytest fixtures for testing DAGs against the Scenario API emulator.

Enable them with ``pytest_plugins = ["airflow_provider_veo.testing.pytest_plugin"]`` in your
``conftest.py``, then::

    def test_my_dag(scenario_emulator):
        ...  # AIRFLOW_CONN_SCENARIO_DEFAULT points at the emulator
        assert scenario_emulator.paid_submissions == 1
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager

import pytest

from airflow_provider_veo.testing.emulator import EmulatorConfig, ScenarioEmulator, run_emulator

CONNECTION_ENV = "AIRFLOW_CONN_SCENARIO_DEFAULT"
#: The configuration of the shared ``scenario_emulator`` fixture.
DEFAULT_FIXTURE_CONFIG = EmulatorConfig(job_duration=1.0)

EmulatorFactory = Callable[[EmulatorConfig], AbstractContextManager[ScenarioEmulator]]


@pytest.fixture(scope="session")
def _scenario_emulator_session() -> Iterator[ScenarioEmulator]:
    with run_emulator(DEFAULT_FIXTURE_CONFIG) as emulator:
        yield emulator


@pytest.fixture
def scenario_emulator(
    _scenario_emulator_session: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch
) -> ScenarioEmulator:
    """A session-wide emulator, reset before each test, with ``scenario_default`` pointing at it."""
    emulator = _scenario_emulator_session
    emulator.reset()
    monkeypatch.setenv(CONNECTION_ENV, emulator.airflow_connection())
    return emulator


@pytest.fixture
def scenario_emulator_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorFactory]:
    """``with scenario_emulator_factory(EmulatorConfig(...)) as emu:`` runs an emulator with that config.

    Inside the block ``scenario_default`` points at it; every emulator is stopped at the end of the test.
    """
    with ExitStack() as stack:

        @contextmanager
        def factory(config: EmulatorConfig) -> Iterator[ScenarioEmulator]:
            emulator = stack.enter_context(run_emulator(config))
            with monkeypatch.context() as patch:
                patch.setenv(CONNECTION_ENV, emulator.airflow_connection())
                yield emulator
            emulator.stop()

        yield factory
