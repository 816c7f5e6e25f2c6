"""Operators that generate videos with Veo 3.1 through Scenario."""

from __future__ import annotations

from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator

__all__ = ["Veo31GenerateOperator"]
