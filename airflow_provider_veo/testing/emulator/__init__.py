"""A local HTTP server speaking the Scenario API for Veo 3.1: see ``docs/emulator.md``."""

from __future__ import annotations

from airflow_provider_veo.testing.emulator.config import EmulatorConfig
from airflow_provider_veo.testing.emulator.faults import Fault, FaultRule
from airflow_provider_veo.testing.emulator.handle import ScenarioEmulator, run_emulator
from airflow_provider_veo.testing.emulator.images import make_png

__all__ = ["EmulatorConfig", "Fault", "FaultRule", "ScenarioEmulator", "make_png", "run_emulator"]
