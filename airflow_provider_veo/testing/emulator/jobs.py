"""Emulated generation jobs: their state is derived from the time elapsed since submission.

Share of ``job_duration`` spent in each status: queued 0-10 %, warming-up 10-25 %, in-progress
25-85 % (``progress`` rising to 0.95), finalizing 85-100 % (to 0.99), then ``success`` (1.0).
A job set to fail ends in ``failure`` where finalizing would start; a canceled job stops where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.testing.emulator.clock import iso

#: (status, share of job_duration at which it starts), in order.
PHASES: Final = (
    (JobStatus.QUEUED, 0.0),
    (JobStatus.WARMING_UP, 0.10),
    (JobStatus.IN_PROGRESS, 0.25),
    (JobStatus.FINALIZING, 0.85),
)
_RUN_START, _RUN_END = 0.25, 0.85
_RUN_PROGRESS, _FINAL_PROGRESS = 0.95, 0.99


JOB_TYPE: Final = "custom"
"""The type of every ``/generate/custom/*`` job."""


@dataclass(frozen=True)
class JobFailure:
    error: str
    hint: str | None = None


@dataclass
class JobRecord:
    """A submitted job; only ``canceled_at`` changes after creation."""

    job_id: str
    seq: int
    created_at: float
    duration: float
    input: dict[str, Any]
    owner_id: str
    author_id: str
    cost: int
    output_asset_id: str
    failure: JobFailure | None = None
    canceled_at: float | None = None

    @property
    def ends_at(self) -> float:
        """When the job reaches its terminal status (unless canceled before)."""
        share = _RUN_END if self.failure is not None else 1.0
        return self.created_at + share * self.duration

    def is_terminal(self, now: float) -> bool:
        return self.canceled_at is not None or now >= self.ends_at

    def _progress(self, now: float) -> float:
        if self.duration <= 0:
            return 1.0 if self.failure is None else _RUN_PROGRESS
        share = (now - self.created_at) / self.duration
        if share < _RUN_START:
            return 0.0
        if share < _RUN_END:
            return round(_RUN_PROGRESS * (share - _RUN_START) / (_RUN_END - _RUN_START), 4)
        if self.failure is not None:
            return _RUN_PROGRESS
        if share < 1.0:
            return round(_RUN_PROGRESS + (_FINAL_PROGRESS - _RUN_PROGRESS) * (share - _RUN_END) / 0.15, 4)
        return 1.0

    def history(self, now: float) -> list[tuple[JobStatus, float]]:
        """Statuses reached by ``now`` with the time each was entered."""
        stop = now if self.canceled_at is None else min(now, self.canceled_at)
        reached: list[tuple[JobStatus, float]] = []
        for status, share in PHASES:
            at = self.created_at + share * self.duration
            if self.failure is not None and status is JobStatus.FINALIZING:
                break
            if at > stop and reached:
                return self._with_cancel(reached, now)
            reached.append((status, at))
        if stop >= self.ends_at:
            terminal = JobStatus.SUCCESS if self.failure is None else JobStatus.FAILURE
            reached.append((terminal, self.ends_at))
            return reached
        return self._with_cancel(reached, now)

    def _with_cancel(
        self, reached: list[tuple[JobStatus, float]], now: float
    ) -> list[tuple[JobStatus, float]]:
        if self.canceled_at is not None and self.canceled_at <= now:
            reached.append((JobStatus.CANCELED, self.canceled_at))
        return reached

    def status(self, now: float) -> JobStatus:
        return self.history(now)[-1][0]

    def to_json(self, now: float) -> dict[str, Any]:
        """The job as ``GET /jobs/{jobId}`` returns it at ``now``."""
        history = self.history(now)
        status, updated = history[-1]
        progress = self._progress(min(now, self.canceled_at or now))
        if status is JobStatus.SUCCESS:
            progress = 1.0
        failed = status is JobStatus.FAILURE
        return {
            "jobId": self.job_id,
            "jobType": JOB_TYPE,
            "status": status.value,
            "progress": progress,
            "statusHistory": [{"status": s.value, "date": iso(at)} for s, at in history],
            "metadata": {
                "input": self.input,
                "assetIds": [self.output_asset_id] if status is JobStatus.SUCCESS else [],
                "error": self.failure.error if failed and self.failure else None,
                "hint": self.failure.hint if failed and self.failure else None,
            },
            # Failed and canceled jobs are refunded; the cost is billed on success.
            "billing": {"cuCost": self.cost if status is JobStatus.SUCCESS else 0, "cuDiscount": 0},
            "authorId": self.author_id,
            "ownerId": self.owner_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(updated),
        }
