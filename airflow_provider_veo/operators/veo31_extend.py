"""Lengthen a Veo video with Veo 3.1 Extend through Scenario: one paid Extend job per step."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator, conf

from airflow_provider_veo.exceptions import (
    AmbiguousSubmissionError,
    CostLimitExceededError,
    ExtendChainStepError,
    InvalidParameterError,
    ScenarioAPIError,
    ScenarioError,
    ScenarioNotFoundError,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.models.veo31 import (
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_RULES,
    Veo31ExtendRequest,
    Veo31Rules,
)
from airflow_provider_veo.models.veo31_family import EXTEND_MODEL_ID, EXTEND_SECONDS, EXTEND_SOURCE_SIZES
from airflow_provider_veo.operators.veo31_chain import (
    StepRecord,
    chain_prompts,
    matching_jobs,
    source_asset_id,
    step_fingerprint,
    step_key,
)
from airflow_provider_veo.operators.veo31_parameters import as_bool, as_int, is_templated, naming_task
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from airflow_provider_veo.triggers.job_event import JobEvent, format_cost, job_status, validate_job_event
from airflow_provider_veo.triggers.job_polling import JobPoller

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.sdk.execution_time.context import TaskStateStoreAccessor

MAX_JOBS_SCANNED = 1000
RESULT_XCOM_KEYS = ("asset_ids", "intermediate_asset_ids", "chain")
"""Parts of the result also pushed under their own XCom key, e.g. for ``extend.output["chain"]``."""
_PARSE_TIME_VIDEO = "asset_parse_time"  # stands in for a templated source when validating at parse time


@dataclass(frozen=True)
class _Chain:
    """The rendered chain: its source video and one validated request per step (video filled later)."""

    source: str
    prompts: list[str | None]
    requests: list[Veo31ExtendRequest]
    fingerprints: list[str]

    @property
    def steps(self) -> int:
        return len(self.requests)


class Veo31ExtendOperator(BaseOperator):
    """Lengthen a Veo video by 7 s per step with ``model_veo3-1-extend-video``, up to 20 steps.

    Step 1 extends ``source``; each next step extends the previous step's video. With the default
    reading (Extend returns the whole longer video, as Google documents), an 8 s clip extended four
    times ends as one 36 s video.

    .. code-block:: python

        extend = Veo31ExtendOperator(
            task_id="extend",
            source=generate.output,  # a Veo31GenerateOperator result, or "asset_..."
            prompts=["the fox runs on", "it reaches the forest", "night falls", "it sleeps"],
            max_creative_units=1000,
        )

    **Validation.** ``source`` (an asset id, or the result of a generate/extend task: its last
    ``asset_ids`` entry), the prompts (``prompts``, or ``prompt`` repeated ``extensions`` times),
    ``generate_audio`` and ``seed`` are checked when the DAG is parsed and again after templating,
    naming the task. Before paying anything the source asset is read: it must be a video, 16:9 at
    1280x720 or 1920x1080, and (where its metadata gives a duration) short enough for every step
    (:attr:`Veo31Rules.max_extend_source_seconds`).

    **Cost.** With ``max_creative_units`` every step still to pay is estimated with a dry run up
    front (each on the source video, since the later videos do not exist yet) and nothing is
    submitted when the steps already paid plus that estimate exceed it. The result lists each step's
    cost.

    **Never paying twice.** Each step is recorded in the task state store under its own key
    (``scenario_veo31_extend_step_<n>``) before the paid call (the attempt) and right after it (the
    job id), then when its video is ready. A retry resumes at the step where the chain stopped: a
    finished step is reused, a running one waited on, one whose submission had an unknown outcome is
    looked for among the jobs created around the attempt (as ``Veo31GenerateOperator`` does), and
    only a step whose job failed, was canceled or vanished is submitted again. A step failing raises
    :class:`~airflow_provider_veo.exceptions.ExtendChainStepError` naming the step and the videos of
    the earlier steps, which stay valid for the retry.

    **Waiting.** Deferrable mode defers once per step (no worker slot is held while a step renders);
    progress is logged as ``step 3/10: in-progress 40 %``. ``timeout`` applies to each step.

    **Result** (JSON, for XCom and :class:`ScenarioAssetsToStorageOperator`): ``asset_ids`` (the
    final video; under ``Veo31Rules(extend_returns_whole_video=False)`` the source followed by every
    extension, in order), ``intermediate_asset_ids`` (steps 1 to n-1), ``job_id`` (the last step's),
    ``status``, ``cost`` (the sum) and ``chain``: the source asset and each step's prompt, job id,
    video and cost, which the transfer's ``chain`` argument writes into the sidecar. ``asset_ids``,
    ``intermediate_asset_ids`` and ``chain`` are also pushed under their own XCom keys, so
    ``extend.output["chain"]`` can feed the transfer.

    :param source: the video to extend (templated): a Scenario asset id or a generate/extend result.
    :param prompts: one continuation prompt per step (templated), 1 to 20 of them.
    :param prompt: the prompt of every step, with ``extensions``.
    :param extensions: how many steps, with ``prompt``.
    :param generate_audio: generate audio for every step (changes the price).
    :param seed: 0 to 4294967295, for every step.
    :param scenario_conn_id: Airflow connection (type ``scenario``).
    :param project_id: Scenario project, when not the connection's.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between two status reads.
    :param timeout: seconds to wait for each step's job.
    :param max_creative_units: refuse to submit when the chain's estimate is above this.
    :param veo31_rules: the readings not settled upstream (Extend output, chain and length caps).
    """

    template_fields: Sequence[str] = (
        "source",
        "prompts",
        "prompt",
        "extensions",
        "generate_audio",
        "seed",
        "project_id",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"prompts": "py", "source": "py"}
    ui_color = "#d6e4ff"

    submission_clock_tolerance: ClassVar[timedelta] = timedelta(seconds=30)
    """Clock difference allowed when looking for the job of a step whose submission had an unknown outcome."""

    def __init__(
        self,
        *,
        source: str | dict[str, Any],
        prompts: Sequence[str | None] | None = None,
        prompt: str | None = None,
        extensions: int | None = None,
        generate_audio: bool = DEFAULT_GENERATE_AUDIO,
        seed: int | None = None,
        scenario_conn_id: str = ScenarioHook.default_conn_name,
        project_id: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: float = 3600.0,
        max_creative_units: float | None = None,
        veo31_rules: Veo31Rules | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.prompts = prompts
        self.prompt = prompt
        self.extensions = extensions
        self.generate_audio = generate_audio
        self.seed = seed
        self.scenario_conn_id = scenario_conn_id
        self.project_id = project_id
        self.deferrable = deferrable
        self.poll_interval = _positive("poll_interval", poll_interval)
        self.timeout = _positive("timeout", timeout)
        self.max_creative_units = (
            None if max_creative_units is None else _positive("max_creative_units", max_creative_units)
        )
        self.veo31_rules = DEFAULT_RULES if veo31_rules is None else veo31_rules
        with naming_task(self.task_id):
            self._check_at_parse_time()

    @cached_property
    def hook(self) -> ScenarioHook:
        return ScenarioHook(scenario_conn_id=self.scenario_conn_id, project_id=self.project_id)

    # --- what is asked --------------------------------------------------------------------------------

    def _check_at_parse_time(self) -> None:
        source = _PARSE_TIME_VIDEO if is_templated(self.source) else source_asset_id(self.source)
        if not any(is_templated(value) for value in (self.prompts, self.prompt, self.extensions)):
            chain_prompts(
                self.prompts, self.prompt, self.extensions, max_extensions=self.veo31_rules.max_extensions
            )
        Veo31ExtendRequest(
            video=source,
            generate_audio=DEFAULT_GENERATE_AUDIO
            if is_templated(self.generate_audio)
            else as_bool(self.generate_audio),
            seed=None if is_templated(self.seed) else as_int(self.seed),
            rules=self.veo31_rules,
        )

    def build_chain(self) -> _Chain:
        """Validate the rendered parameters into one request per step (each on the chain's source)."""
        with naming_task(self.task_id):
            source = source_asset_id(self.source)
            prompts = chain_prompts(
                self.prompts, self.prompt, self.extensions, max_extensions=self.veo31_rules.max_extensions
            )
            generate_audio, seed = as_bool(self.generate_audio), as_int(self.seed)
            requests = [
                Veo31ExtendRequest(
                    video=source,
                    prompt=prompt,
                    generate_audio=generate_audio,
                    seed=seed,
                    rules=self.veo31_rules,
                )
                for prompt in prompts
            ]
        fingerprints = [
            step_fingerprint(source=source, prompts=prompts, step=n, generate_audio=generate_audio, seed=seed)
            for n in range(1, len(prompts) + 1)
        ]
        return _Chain(source=source, prompts=prompts, requests=requests, fingerprints=fingerprints)

    # --- the chain ------------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        chain = self.build_chain()
        store = self._store(context)
        records = [self._record(store, chain, n) for n in range(1, chain.steps + 1)]
        if any(record is None or record.job_id is None for record in records):
            self._check_source(chain)
            self._check_budget(chain, records)
        return self._advance(context, chain, store)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None, step: int = 0) -> Any:
        """Resume after step ``step``'s trigger fired: record its video, then go on with the chain."""
        chain = self.build_chain()
        store = self._store(context)
        self._complete_step(store, chain, step, validate_job_event(event))
        return self._advance(context, chain, store)

    def _advance(
        self, context: Context, chain: _Chain, store: TaskStateStoreAccessor | None
    ) -> dict[str, Any]:
        """Run every step not done yet, in order; defer (and come back here) when deferrable."""
        for n in range(1, chain.steps + 1):
            record = self._record(store, chain, n)
            if record is not None and record.asset_id:
                continue
            job_id, job = self._job_for_step(store, chain, n, record)
            label = f"step {n}/{chain.steps}"
            if job is not None and job_status(job).is_terminal:
                event = JobEvent.from_terminal_job(job, job_id=job_id)
            elif self.deferrable:
                self.defer(
                    trigger=JobCompleteTrigger(
                        job_id=job_id,
                        end_time=time.time() + self.timeout,
                        scenario_conn_id=self.scenario_conn_id,
                        project_id=self.project_id,
                        poll_interval=self.poll_interval,
                        label=label,
                    ),
                    method_name="execute_complete",
                    kwargs={"step": n},
                    timeout=None,
                )
            else:
                event = self._wait(job_id, label)
            self._complete_step(store, chain, n, event)
        result = self._result(store, chain)
        for key in RESULT_XCOM_KEYS:  # so that ``extend.output["chain"]`` works downstream
            context["ti"].xcom_push(key=key, value=result[key])
        return result

    def _job_for_step(
        self, store: TaskStateStoreAccessor | None, chain: _Chain, n: int, record: StepRecord | None
    ) -> tuple[str, dict[str, Any] | None]:
        """The job of step ``n`` (and its last state, if read): the recorded one when it may still give
        the video, else a new one."""
        if record is not None and record.job_id is None and record.submitted_at and record.body:
            found = self._find_unconfirmed_submission(record, n)
            record = replace(record, job_id=found) if found else None
            if record is not None:
                self._save(store, n, record)
        if record is not None and record.job_id:
            try:
                job: dict[str, Any] | None = self._get_job(record.job_id)
            except ScenarioNotFoundError:
                job = None
            status = job_status(job) if job is not None else None
            if status is JobStatus.SUCCESS or (status is not None and not status.is_terminal):
                self.log.info(
                    "step %d/%d: resuming job %s; not submitting again", n, chain.steps, record.job_id
                )
                return record.job_id, job
            self.log.warning(
                "step %d/%d: recorded job %s ended with %s; submitting it again",
                n,
                chain.steps,
                record.job_id,
                status.value if status else "nothing (not found)",
            )
        return self._submit_step(store, chain, n), None

    def _submit_step(self, store: TaskStateStoreAccessor | None, chain: _Chain, n: int) -> str:
        """Submit step ``n`` on the previous step's video, recording the attempt before the paid call."""
        source = chain.source if n == 1 else self._step_asset(store, chain, n - 1)
        body = replace(chain.requests[n - 1], video=source).to_api_body()
        record = StepRecord(
            fingerprint=chain.fingerprints[n - 1],
            source_asset_id=source,
            prompt=chain.prompts[n - 1],
            submitted_at=_format_utc(datetime.now(timezone.utc)),
            body=body,
        )
        self._save(store, n, record)
        try:
            job_id, cost = self._run(body)
        except ScenarioAPIError:
            self._delete(store, n)  # a definite refusal: no job exists, nothing to look for on retry
            raise
        self._save(store, n, replace(record, job_id=job_id, submitted_at=None, body=None, cost=cost))
        self.log.info(
            "step %d/%d: submitted Extend job %s on %s; billed %s creative units",
            n,
            chain.steps,
            job_id,
            source,
            format_cost(cost),
        )
        return job_id

    def _complete_step(
        self, store: TaskStateStoreAccessor | None, chain: _Chain, n: int, event: JobEvent
    ) -> None:
        record = self._record(store, chain, n)
        kept = [self._step_asset(store, chain, k) for k in range(1, n)]
        try:
            event.result()
            if not event.asset_ids:
                raise ScenarioError(f"Extend job {event.job_id} succeeded but lists no video")
        except ScenarioError as error:
            raise ExtendChainStepError(
                step=n, steps=chain.steps, job_id=event.job_id, kept_asset_ids=kept, cause=str(error)
            ) from error
        base = record or StepRecord(
            fingerprint=chain.fingerprints[n - 1], source_asset_id="", prompt=chain.prompts[n - 1]
        )
        cost = event.cost if event.cost is not None else base.cost
        self._save(store, n, replace(base, job_id=event.job_id, asset_id=event.asset_ids[0], cost=cost))
        self.log.info(
            "step %d/%d: done, video %s, %s creative units",
            n,
            chain.steps,
            event.asset_ids[0],
            format_cost(cost),
        )

    def _result(self, store: TaskStateStoreAccessor | None, chain: _Chain) -> dict[str, Any]:
        records = _all_done([self._record(store, chain, n) for n in range(1, chain.steps + 1)])
        steps: list[dict[str, Any]] = [
            {
                "step": n,
                "prompt": record.prompt,
                "source_asset_id": record.source_asset_id,
                "job_id": record.job_id,
                "asset_id": record.asset_id,
                "cost": record.cost,
            }
            for n, record in enumerate(records, start=1)
        ]
        outputs = [str(record.asset_id) for record in records]
        whole = self.veo31_rules.extend_returns_whole_video
        costs = [record.cost for record in records]
        return {
            "job_id": records[-1].job_id,
            "status": JobStatus.SUCCESS.value,
            "asset_ids": [outputs[-1]] if whole else [chain.source, *outputs],
            "intermediate_asset_ids": outputs[:-1],
            "cost": sum(c for c in costs if c is not None) if None not in costs else None,
            "chain": {
                "model_id": EXTEND_MODEL_ID,
                "source_asset_id": chain.source,
                "returns_whole_video": whole,
                "steps": steps,
            },
        }

    # --- checks before paying -------------------------------------------------------------------------

    def _check_source(self, chain: _Chain) -> None:
        """Refuse a source Scenario would refuse, as far as the asset's metadata tells."""
        asset = self._get_asset(chain.source)
        properties = asset.get("properties") or {}
        if asset.get("kind") not in (None, "video"):
            raise InvalidParameterError(
                "source",
                chain.source,
                f"is not a video (kind {asset.get('kind')!r}); Extend needs a video asset",
            ).for_task(self.task_id)
        width, height = properties.get("width"), properties.get("height")
        if width is None or height is None:
            self.log.warning(
                "The size of %s is unknown: its 16:9 / 720p-1080p rule is not checked", chain.source
            )
        elif (width, height) not in EXTEND_SOURCE_SIZES:
            raise InvalidParameterError(
                "source", chain.source, f"is {width}x{height}; Extend needs 16:9 at 1280x720 or 1920x1080"
            ).for_task(self.task_id)
        duration = properties.get("duration")
        if duration is not None and self.veo31_rules.extend_returns_whole_video:
            last_source = float(duration) + EXTEND_SECONDS * (chain.steps - 1)
            limit = self.veo31_rules.max_extend_source_seconds
            if last_source > limit:
                raise InvalidParameterError(
                    "source",
                    chain.source,
                    f"lasts {duration} s: the last of {chain.steps} steps would extend a {last_source:g} s "
                    f"video, above the {limit:g} s Extend accepts",
                ).for_task(self.task_id)

    def _check_budget(self, chain: _Chain, records: list[StepRecord | None]) -> None:
        """Steps already paid plus the dry-run estimate of every other step, against the limit."""
        if self.max_creative_units is None:
            return
        paid = sum(r.cost or 0.0 for r in records if r is not None and r.job_id is not None)
        unpaid = [n for n, r in enumerate(records) if r is None or r.job_id is None]
        estimate = sum(self._estimate(chain.requests[n].to_api_body()) for n in unpaid)
        total = paid + estimate
        if total > self.max_creative_units:
            raise CostLimitExceededError(
                estimate=total, limit=self.max_creative_units, model_id=EXTEND_MODEL_ID
            )
        self.log.info(
            "Estimated cost of the chain: %g creative units for %d steps to pay (+%g paid); "
            "max_creative_units=%g",
            estimate,
            len(unpaid),
            paid,
            self.max_creative_units,
        )

    def _find_unconfirmed_submission(self, record: StepRecord, n: int) -> str | None:
        """The job of a step whose paid call had an unknown outcome: exactly one match is adopted."""
        attempted = datetime.fromisoformat(str(record.submitted_at).replace("Z", "+00:00"))
        since = attempted - self.submission_clock_tolerance
        until = attempted + timedelta(seconds=self.hook.settings.timeout) + self.submission_clock_tolerance
        found = matching_jobs(self._jobs_created_after(since), record.body or {}, since=since, until=until)
        if len(found) > 1:
            raise AmbiguousSubmissionError(job_ids=found, key=step_key(n))
        self.log.warning(
            "step %d: the submission with an unknown outcome created %s",
            n,
            f"job {found[0]}; resuming it" if found else "no job; submitting again",
        )
        return found[0] if found else None

    # --- waiting --------------------------------------------------------------------------------------

    def _wait(self, job_id: str, label: str) -> JobEvent:
        poller = JobPoller(job_id=job_id, end_time=time.time() + self.timeout, log=self.log, label=label)
        while True:
            try:
                job = self._get_job(job_id)
            except ScenarioError as error:
                event = poller.on_error(error)
            else:
                event = poller.on_job(job)
            event = event or poller.on_deadline()
            if event is not None:
                return event
            time.sleep(poller.next_delay(self.poll_interval))

    # --- task state -----------------------------------------------------------------------------------

    def _store(self, context: Context) -> TaskStateStoreAccessor | None:
        store = context.get("task_state_store")
        if store is None:
            self.log.warning(
                "No task_state_store in the task context: a retry cannot resume the chain and would pay "
                "again for every step."
            )
        return store

    def _record(self, store: TaskStateStoreAccessor | None, chain: _Chain, n: int) -> StepRecord | None:
        if store is None:
            return self._local.get(n)
        return StepRecord.from_store(store.get(step_key(n)), chain.fingerprints[n - 1])

    def _save(self, store: TaskStateStoreAccessor | None, n: int, record: StepRecord) -> None:
        if store is None:
            self._local[n] = record
        else:
            store.set(step_key(n), record.to_store())

    def _delete(self, store: TaskStateStoreAccessor | None, n: int) -> None:
        if store is None:
            self._local.pop(n, None)
        else:
            store.delete(step_key(n))

    @cached_property
    def _local(self) -> dict[int, StepRecord]:
        """Step records for this try only, when there is no task state store."""
        return {}

    def _step_asset(self, store: TaskStateStoreAccessor | None, chain: _Chain, n: int) -> str:
        record = self._record(store, chain, n)
        if record is None or not record.asset_id:
            raise ScenarioError(f"Extend step {n} has no recorded video; the chain cannot go on")
        return record.asset_id

    # --- the API (few calls, each in one place) ---------------------------------------------------------

    def _run(self, body: dict[str, Any]) -> tuple[str, float | None]:
        response = self.hook.run_model(EXTEND_MODEL_ID, body)
        cost = response.get("creativeUnitsCost")
        return str(response["job"]["jobId"]), float(cost) if isinstance(cost, (int, float)) else None

    def _estimate(self, body: dict[str, Any]) -> float:
        return self.hook.estimate_cost(EXTEND_MODEL_ID, body)

    def _get_job(self, job_id: str) -> dict[str, Any]:
        return self.hook.get_job(job_id)

    def _get_asset(self, asset_id: str) -> dict[str, Any]:
        return self.hook.get_asset(asset_id)

    def _jobs_created_after(self, since: datetime) -> list[dict[str, Any]]:
        jobs = self.hook.list_jobs(created_after=_format_utc(since), page_size=100)
        return list(itertools.islice(jobs, MAX_JOBS_SCANNED))


def _all_done(records: list[StepRecord | None]) -> list[StepRecord]:
    done = [record for record in records if record is not None and record.asset_id]
    if len(done) != len(records):
        raise ScenarioError("The Extend chain ended with steps that have no video")
    return done


def _format_utc(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)
