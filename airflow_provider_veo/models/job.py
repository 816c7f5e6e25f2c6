"""Scenario job statuses."""

from __future__ import annotations

from enum import Enum


class JobStatus(str, Enum):
    """Every status a Scenario job can report, in the order a job moves through them."""

    PENDING = "pending"
    QUEUED = "queued"
    WARMING_UP = "warming-up"
    IN_PROGRESS = "in-progress"
    FINALIZING = "finalizing"
    SUCCESS = "success"
    FAILURE = "failure"
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @classmethod
    def parse(cls, value: str) -> JobStatus:
        """Return the status for ``value``; raise ``ValueError`` naming the known ones otherwise."""
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(s.value for s in cls)
            raise ValueError(f"Unknown Scenario job status {value!r}; known statuses: {known}") from None


TERMINAL_STATUSES = frozenset({JobStatus.SUCCESS, JobStatus.FAILURE, JobStatus.CANCELED})
