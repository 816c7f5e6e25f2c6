"""Operator extra links to the Scenario web app."""

from __future__ import annotations

from airflow_provider_veo.links.scenario_job import ScenarioJobLink

__all__ = ["ScenarioJobLink"]
