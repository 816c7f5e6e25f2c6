"""Submit a paid Scenario job at most once per task instance, across retries, restarts and duplicates.

:class:`PaidSubmission` is the I/O around :mod:`.veo31_state`'s decisions, shared by every operator
that pays for a job (one instance per job: an Extend chain uses one key per step):

1. :meth:`PaidSubmission.recorded_job` reads the record left by an earlier (or concurrent) run:
   a recorded job still running or succeeded is resumed; an attempt another run is sending right
   now is waited for; an attempt whose outcome was unknown is looked for among the project's jobs.
2. :meth:`PaidSubmission.submit` claims the record (the attempt: owner, time, body), checks after a
   short settle time that no concurrent run claimed it too, sends the paid ``POST`` once and records
   the job id. A definite refusal deletes the record; an unknown outcome keeps it, marked.

Without a state store (``execute()`` called outside a task runner) nothing is recorded.

.. code-block:: python

    submission = PaidSubmission(hook=hook, store=store, key="scenario_veo31_job", fingerprint=sha, log=log)
    job = submission.recorded_job() or None
    job_id = job.job_id if job else submission.submit("model_veo3-1", body)
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_veo.exceptions import (
    AmbiguousSubmissionError,
    ScenarioAPIError,
    ScenarioNotFoundError,
    ScenarioTransportError,
    SubmissionOutcomeUnknownError,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.api import Job, format_timestamp
from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.operators.veo31_state import (
    AttemptState,
    JobRecord,
    attempt_state,
    match_submission,
    new_owner,
    start_attempt,
    submission_window,
)
from airflow_provider_veo.task_state import TaskStateStore
from airflow_provider_veo.triggers.job_event import format_cost
from airflow_provider_veo.triggers.job_polling import PollLog

MAX_JOBS_SCANNED = 1000
"""Most listed jobs read when looking for the job of an attempt whose outcome was unknown."""


@dataclass
class PaidSubmission:
    """One paid job of one task instance, recorded in ``store`` under ``key`` (see the module doc).

    :param fingerprint: SHA-256 of what is asked; a record with another fingerprint is ignored.
    :param clock_tolerance: clock difference allowed between the worker and the API.
    :param claim_settle: seconds between claiming the record and reading it back (two runs that
        claim at the same moment then see which one claimed last; the other waits for it).
    :param wait_interval: seconds between two reads of the record while another run submits.
    """

    hook: ScenarioHook
    store: TaskStateStore | None
    key: str
    fingerprint: str
    log: PollLog
    clock_tolerance: timedelta = timedelta(seconds=30)
    claim_settle: float = 0.5
    wait_interval: float = 1.0
    owner: str = field(default_factory=new_owner)
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))

    # --- reading -------------------------------------------------------------------------------------

    def recorded_job(self) -> Job | None:
        """The job to resume instead of paying (running or succeeded), or ``None``: submit."""
        record = self._read()
        attempt = record.attempt if record is not None and record.job_id is None else None
        if attempt is not None and attempt_state(
            attempt, owner=self.owner, now=self.now(), window=self._attempt_window
        ) is (AttemptState.IN_FLIGHT):
            self.log.warning(
                "Another run of this task is submitting the same job right now (%s, since %s); waiting "
                "for its outcome instead of paying twice",
                attempt.owner,
                attempt.started_at,
            )
            record = self._wait_for_other_attempt()
        if record is None:
            return None
        if record.job_id is not None:
            return self._resume(record.job_id)
        if record.attempt is None:
            return None
        job_id = self._find_unconfirmed_submission(record)
        if job_id is None:
            self._delete()
            return None
        self._write(JobRecord(request_sha256=self.fingerprint, job_id=job_id))
        return self._resume(job_id)

    @property
    def _attempt_window(self) -> timedelta:
        """How long an attempt's request may still be running: its timeout plus the tolerance."""
        return timedelta(seconds=self.hook.settings.timeout + self.claim_settle) + self.clock_tolerance

    def _read(self) -> JobRecord | None:
        if self.store is None:
            return None
        value = self.store.get(self.key)
        record = JobRecord.from_store(value)
        if record is None:
            if value is not None:
                self.log.warning("Ignoring an unreadable recorded job under %r", self.key)
            return None
        if record.request_sha256 != self.fingerprint:
            self.log.info("The recorded job was submitted with other parameters; it is not resumed")
            return None
        return record

    def _write(self, record: JobRecord) -> None:
        if self.store is not None:
            self.store.set(self.key, record.to_store())

    def _delete(self) -> None:
        if self.store is not None:
            self.store.delete(self.key)

    def _resume(self, job_id: str) -> Job | None:
        try:
            job = self.hook.get_job(job_id)
        except ScenarioNotFoundError:
            self.log.warning("Recorded job %s no longer exists; submitting a new job", job_id)
            return None
        if job.status is JobStatus.SUCCESS:
            self.log.info("Job %s recorded by an earlier try already succeeded; not submitting again", job_id)
            return job
        if not job.status.is_terminal:
            self.log.info(
                "Resuming job %s (%s) submitted by an earlier try; not submitting again",
                job_id,
                job.status.value,
            )
            return job
        self.log.warning(
            "Job %s recorded by an earlier try ended with %s; submitting a new job", job_id, job.status.value
        )
        return None

    def _wait_for_other_attempt(self) -> JobRecord | None:
        """Read the record until the other run recorded its job, gave up, or its window passed."""
        while True:
            record = self._read()
            if record is None or record.job_id is not None or record.attempt is None:
                return record
            state = attempt_state(
                record.attempt, owner=self.owner, now=self.now(), window=self._attempt_window
            )
            if state is AttemptState.UNKNOWN:
                return record
            self.sleep(self.wait_interval)

    def _find_unconfirmed_submission(self, record: JobRecord) -> str | None:
        """The job an attempt whose outcome was unknown created, if any (see ``match_submission``).

        Exactly one job dated inside the attempt's window and holding its input is adopted; none
        means nothing was created (submit again); several, or one that cannot be dated, cannot be
        told from another task's identical request: :class:`AmbiguousSubmissionError`, nothing paid.
        """
        attempt = record.attempt
        assert attempt is not None
        try:
            window = submission_window(
                attempt, request_timeout=self.hook.settings.timeout, tolerance=self.clock_tolerance
            )
        except ValueError:
            raise AmbiguousSubmissionError(job_ids=[], key=self.key) from None
        jobs = self.hook.list_jobs(created_after=format_timestamp(window[0]), page_size=100)
        found = match_submission(itertools.islice(jobs, MAX_JOBS_SCANNED), attempt.body, window)
        if len(found.matches) + len(found.undated) > 1 or found.undated:
            raise AmbiguousSubmissionError(job_ids=[*found.matches, *found.undated], key=self.key)
        if found.matches:
            self.log.warning(
                "An earlier submission (outcome unknown) created job %s; resuming it instead of paying "
                "for a new one",
                found.matches[0],
            )
            return found.matches[0]
        self.log.warning(
            "An earlier submission (outcome unknown) created no job around %s; submitting again",
            attempt.started_at,
        )
        return None

    # --- paying --------------------------------------------------------------------------------------

    def submit(self, model_id: str, body: Mapping[str, Any]) -> str:
        """Claim the record, send the paid request once, record the job; return its id.

        Returns the job of a concurrent run instead when one claimed the record first.
        """
        adopted = self._concurrent_claim()
        if adopted is not None:
            return adopted
        self._write(start_attempt(self.fingerprint, body, owner=self.owner, now=self.now()))
        if self.store is not None:
            self.sleep(self.claim_settle)
            adopted = self._concurrent_claim()
            if adopted is not None:
                return adopted
        try:
            response = self.hook.run_model(model_id, body)
        except SubmissionOutcomeUnknownError:
            record = self._read()
            if record is not None and record.attempt is not None:
                attempt = record.attempt.model_copy(update={"outcome_unknown": True})
                self._write(record.model_copy(update={"attempt": attempt}))
            raise
        except (ScenarioAPIError, ScenarioTransportError):
            self._delete()  # a definite refusal, or never sent: no job exists
            raise
        job_id = response.job.job_id
        self._write(JobRecord(request_sha256=self.fingerprint, job_id=job_id))
        self.log.info(
            "Submitted Scenario job %s to %s (its cost as reported at submission: %s creative units; "
            "a job that fails is refunded)",
            job_id,
            model_id,
            format_cost(response.creative_units_cost),
        )
        return job_id

    def _concurrent_claim(self) -> str | None:
        """The job id of another run that holds the record (waiting for it first), else ``None``."""
        record = self._read()
        if record is None:
            return None
        other_attempt = record.attempt is not None and record.attempt.owner != self.owner
        if record.job_id is None and not other_attempt:
            return None
        job = self.recorded_job()
        return job.job_id if job is not None else None
