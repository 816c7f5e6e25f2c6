"""Sensors for Scenario jobs."""

from __future__ import annotations

from airflow_provider_veo.sensors.scenario_job import ScenarioJobSensor

__all__ = ["ScenarioJobSensor"]
