"""Triggers (and their event payload) for waiting on Scenario jobs in the triggerer."""

from __future__ import annotations

from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from airflow_provider_veo.triggers.job_event import (
    JobEvent,
    JobEventStatus,
    JobResult,
    validate_job_event,
)

__all__ = ["JobCompleteTrigger", "JobEvent", "JobEventStatus", "JobResult", "validate_job_event"]
