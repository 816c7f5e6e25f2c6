"""Test helpers for DAGs that use this provider, shipped in the package (as moto is for AWS).

>>> from airflow_provider_veo.testing import EmulatorConfig, run_emulator
>>> with run_emulator(EmulatorConfig(job_duration=0.5)) as emu:  # doctest: +SKIP
...     emu.base_url
'http://127.0.0.1:40123/v1'
"""

from __future__ import annotations

from airflow_provider_veo.testing.emulator import (
    EmulatorConfig,
    Fault,
    FaultRule,
    ScenarioEmulator,
    make_png,
    run_emulator,
)

__all__ = ["EmulatorConfig", "Fault", "FaultRule", "ScenarioEmulator", "make_png", "run_emulator"]
