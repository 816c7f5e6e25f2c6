"""Operators that generate videos with Veo 3.1 through Scenario."""

from __future__ import annotations

from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.operators.veo31_extend import Veo31ExtendOperator

__all__ = ["Veo31ExtendOperator", "Veo31GenerateOperator"]
