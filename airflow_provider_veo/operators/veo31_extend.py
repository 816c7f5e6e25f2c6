"""Lengthen a Veo video with Veo 3.1 Extend through Scenario: one paid Extend job per step."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from airflow_provider_veo._compat import default_deferrable
from airflow_provider_veo.exceptions import (
    CostLimitExceededError,
    ExtendChainStepError,
    InvalidParameterError,
    ScenarioError,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.api import Job
from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.models.veo31 import (
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_RULES,
    Veo31ExtendRequest,
    Veo31Rules,
)
from airflow_provider_veo.models.veo31_family import EXTEND_MODEL_ID, EXTEND_SECONDS, EXTEND_SOURCE_SIZES
from airflow_provider_veo.operators.paid_submission import PaidSubmission
from airflow_provider_veo.operators.veo31_chain import (
    StepResult,
    chain_prompts,
    done_key,
    source_asset_id,
    step_fingerprint,
    step_key,
)
from airflow_provider_veo.operators.veo31_parameters import (
    as_bool,
    as_int,
    is_templated,
    naming_task,
    positive_number,
)
from airflow_provider_veo.operators.veo31_state import JobRecord
from airflow_provider_veo.task_state import TaskStateStore, task_state_store
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from airflow_provider_veo.triggers.job_event import JobEvent, format_cost, validate_job_event
from airflow_provider_veo.triggers.job_polling import JobPoller

if TYPE_CHECKING:
    from airflow.sdk import Context

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

    **Never paying twice.** Each step's paid submission goes through
    :class:`~airflow_provider_veo.operators.paid_submission.PaidSubmission` under its own key
    (``scenario_veo31_extend_step_<n>``), exactly as ``Veo31GenerateOperator``'s job: the attempt is
    recorded before the paid call and the job id right after it; a concurrent duplicate waits for it;
    an unknown outcome is looked for among the jobs created around the attempt. Its video is recorded
    under ``scenario_veo31_extend_step_<n>_done`` once ready. A retry resumes at the step where the
    chain stopped: a finished step is reused, a running one waited on, and only a step whose job
    failed, was canceled or vanished is submitted again. A step failing raises
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
    :param deferrable: wait in the triggerer; ``None`` (the default) follows
        ``[operators] default_deferrable``.
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
        deferrable: bool | None = None,
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
        self.deferrable = default_deferrable(deferrable)
        with naming_task(self.task_id):
            self.poll_interval = positive_number("poll_interval", poll_interval)
            self.timeout = positive_number("timeout", timeout)
            self.max_creative_units = (
                None
                if max_creative_units is None
                else positive_number("max_creative_units", max_creative_units)
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
        if any(not self._paid(store, chain, n) for n in range(1, chain.steps + 1)):
            self._check_source(chain)
            self._check_budget(store, chain)
        return self._advance(context, chain, store)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None, step: int = 0) -> Any:
        """Resume after step ``step``'s trigger fired: record its video, then go on with the chain."""
        chain = self.build_chain()
        store = self._store(context)
        self._complete_step(store, chain, step, validate_job_event(event))
        return self._advance(context, chain, store)

    def _advance(self, context: Context, chain: _Chain, store: TaskStateStore | None) -> dict[str, Any]:
        """Run every step not done yet, in order; defer (and come back here) when deferrable."""
        for n in range(1, chain.steps + 1):
            if self._result_of(store, chain, n) is not None:
                continue
            label = f"step {n}/{chain.steps}"
            submission = self._submission(store, chain, n)
            job = submission.recorded_job()
            if job is None:
                source = chain.source if n == 1 else self._step_asset(store, chain, n - 1)
                body = replace(chain.requests[n - 1], video=source).to_api_body()
                self.log.info("%s: extending %s", label, source)
                job_id = submission.submit(EXTEND_MODEL_ID, body)
            else:
                job_id = job.job_id
            if job is not None and job.status is JobStatus.SUCCESS:
                event = JobEvent.from_terminal_job(job)
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

    def _submission(self, store: TaskStateStore | None, chain: _Chain, n: int) -> PaidSubmission:
        return PaidSubmission(
            hook=self.hook,
            store=store,
            key=step_key(n),
            fingerprint=chain.fingerprints[n - 1],
            log=self.log,
            clock_tolerance=self.submission_clock_tolerance,
        )

    def _complete_step(self, store: TaskStateStore | None, chain: _Chain, n: int, event: JobEvent) -> None:
        kept = [self._step_asset(store, chain, k) for k in range(1, n)]
        try:
            event.result()
        except ScenarioError as error:
            raise ExtendChainStepError(
                step=n, steps=chain.steps, job_id=event.job_id, kept_asset_ids=kept, cause=str(error)
            ) from error
        result = StepResult(
            fingerprint=chain.fingerprints[n - 1],
            source_asset_id=chain.source if n == 1 else kept[-1],
            prompt=chain.prompts[n - 1],
            job_id=event.job_id,
            asset_id=event.asset_ids[0],
            cost=event.cost,
        )
        self._save_result(store, n, result)
        self.log.info(
            "step %d/%d: done, video %s, %s creative units",
            n,
            chain.steps,
            result.asset_id,
            format_cost(result.cost),
        )

    def _result(self, store: TaskStateStore | None, chain: _Chain) -> dict[str, Any]:
        results = [self._result_of(store, chain, n) for n in range(1, chain.steps + 1)]
        done = [result for result in results if result is not None]
        if len(done) != len(results):
            raise ScenarioError("The Extend chain ended with steps that have no video")
        steps: list[dict[str, Any]] = [
            {
                "step": n,
                "prompt": result.prompt,
                "source_asset_id": result.source_asset_id,
                "job_id": result.job_id,
                "asset_id": result.asset_id,
                "cost": result.cost,
            }
            for n, result in enumerate(done, start=1)
        ]
        outputs = [result.asset_id for result in done]
        whole = self.veo31_rules.extend_returns_whole_video
        costs = [result.cost for result in done]
        return {
            "job_id": done[-1].job_id,
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
        asset = self.hook.get_asset(chain.source)
        if asset.kind not in (None, "video"):
            raise InvalidParameterError(
                "source",
                chain.source,
                f"is not a video (kind {asset.kind!r}); Extend needs a video asset",
            ).for_task(self.task_id)
        width, height = asset.properties.width, asset.properties.height
        if width is None or height is None:
            self.log.warning(
                "The size of %s is unknown: its 16:9 / 720p-1080p rule is not checked", chain.source
            )
        elif (int(width), int(height)) not in EXTEND_SOURCE_SIZES:
            raise InvalidParameterError(
                "source", chain.source, f"is {width:g}x{height:g}; Extend needs 16:9 at 1280x720 or 1920x1080"
            ).for_task(self.task_id)
        duration = asset.properties.duration
        if duration is not None and self.veo31_rules.extend_returns_whole_video:
            last_source = duration + EXTEND_SECONDS * (chain.steps - 1)
            limit = self.veo31_rules.max_extend_source_seconds
            if last_source > limit:
                raise InvalidParameterError(
                    "source",
                    chain.source,
                    f"lasts {duration:g} s: the last of {chain.steps} steps would extend a {last_source:g} s "
                    f"video, above the {limit:g} s Extend accepts",
                ).for_task(self.task_id)

    def _check_budget(self, store: TaskStateStore | None, chain: _Chain) -> None:
        """Steps already finished plus the dry-run estimate of every step not paid yet, against the limit."""
        if self.max_creative_units is None:
            return
        results = [self._result_of(store, chain, n) for n in range(1, chain.steps + 1)]
        paid = sum(result.cost or 0.0 for result in results if result is not None)
        unpaid = [n for n in range(1, chain.steps + 1) if not self._paid(store, chain, n)]
        estimate = sum(
            self.hook.estimate_cost(EXTEND_MODEL_ID, chain.requests[n - 1].to_api_body()) for n in unpaid
        )
        total = paid + estimate
        if not total <= self.max_creative_units:
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

    # --- waiting --------------------------------------------------------------------------------------

    def _wait(self, job_id: str, label: str) -> JobEvent:
        end_time = time.time() + self.timeout
        poller = JobPoller(job_id=job_id, end_time=end_time, log=self.log, label=label)
        while True:
            try:
                job: Job = self.hook.get_job(job_id, deadline=end_time)
            except ScenarioError as error:
                event = poller.on_error(error)
            else:
                event = poller.on_job(job)
            event = event or poller.on_deadline()
            if event is not None:
                return event
            time.sleep(poller.next_delay(self.poll_interval))

    # --- task state -----------------------------------------------------------------------------------

    def _store(self, context: Context) -> TaskStateStore | None:
        store = task_state_store(context)
        if store is None:
            self.log.warning(
                "No task_state_store in the task context: a retry cannot resume the chain and would pay "
                "again for every step."
            )
        return store

    def _paid(self, store: TaskStateStore | None, chain: _Chain, n: int) -> bool:
        """Whether step ``n`` has a job already (finished, or recorded by its submission)."""
        if self._result_of(store, chain, n) is not None:
            return True
        record = JobRecord.from_store(store.get(step_key(n))) if store is not None else None
        return (
            record is not None
            and record.request_sha256 == chain.fingerprints[n - 1]
            and record.job_id is not None
        )

    def _result_of(self, store: TaskStateStore | None, chain: _Chain, n: int) -> StepResult | None:
        if store is None:
            return self._local.get(n)
        return StepResult.from_store(store.get(done_key(n)), chain.fingerprints[n - 1])

    def _save_result(self, store: TaskStateStore | None, n: int, result: StepResult) -> None:
        if store is None:
            self._local[n] = result
        else:
            store.set(done_key(n), result.to_store())

    @cached_property
    def _local(self) -> dict[int, StepResult]:
        """Step results for this try only, when there is no task state store."""
        return {}

    def _step_asset(self, store: TaskStateStore | None, chain: _Chain, n: int) -> str:
        result = self._result_of(store, chain, n)
        if result is None:
            raise ScenarioError(f"Extend step {n} has no recorded video; the chain cannot go on")
        return result.asset_id
