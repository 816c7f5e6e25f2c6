"""Apache Airflow provider for Google Veo 3.1 video generation through the Scenario API."""

from __future__ import annotations

__version__ = "0.1.0"
