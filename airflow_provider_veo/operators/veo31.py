"""Generate a video with Google Veo 3.1 through Scenario."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from airflow_provider_veo._compat import default_deferrable
from airflow_provider_veo.exceptions import (
    CostLimitExceededError,
    ScenarioError,
    ScenarioRateLimitError,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.links.scenario_job import JOB_URL_XCOM_KEY, ScenarioJobLink
from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.models.veo31 import (
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_RESOLUTION,
    DEFAULT_RULES,
    MODEL_ID,
    Veo31Request,
    Veo31Rules,
)
from airflow_provider_veo.operators.image_inputs import ImageInput, resolve_image
from airflow_provider_veo.operators.paid_submission import PaidSubmission
from airflow_provider_veo.operators.veo31_parameters import (
    VEO31_PARAMETERS,
    check_at_parse_time,
    naming_task,
    positive_number,
    request_fingerprint,
    veo31_request,
)
from airflow_provider_veo.task_state import TaskStateStore, task_state_store
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from airflow_provider_veo.triggers.job_event import JobEvent, JobResult, format_cost, validate_job_event
from airflow_provider_veo.triggers.job_polling import (
    CANCEL_REQUEST_RETRIES,
    CANCEL_TIMEOUT,
    JobPoller,
    report_cancel,
)
from airflow_provider_veo.triggers.stale_event import current_try, is_stale_event

if TYPE_CHECKING:
    from airflow.sdk import Context

JOB_ID_XCOM_KEY = "job_id"
"""XCom key of the submitted job's id, pushed before any waiting."""

MAX_CEILING_DELAY = 600.0
"""Longest single wait for the team's parallel-job ceiling, whatever ``Retry-After`` says."""


class Veo31GenerateOperator(BaseOperator):
    """Generate a video with Google Veo 3.1, Veo 3.1 Fast or Veo 3.1 Lite through Scenario.

    The job is submitted once; its id is pushed to XCom (key ``job_id``) and its page in the Scenario
    app (key ``job_url``, the "Scenario Job" link) before any waiting. With ``wait_for_completion``
    the task returns ``{"job_id", "status", "asset_ids", "cost"}`` once the video is ready, otherwise
    the job id. Deferrable mode waits in the triggerer and holds no worker slot while Veo renders.

    .. code-block:: python

        generate = Veo31GenerateOperator(
            task_id="generate",
            prompt="a fox in the snow, cinematic",
            duration=8,
            resolution="1080p",
        )

    **One operator for the family.** ``model_id`` selects the model and so its rules:
    ``model_veo3-1`` (default, full quality), ``model_veo3-1-fast`` (same modes, cheaper, no
    ``reference_images_type``) or ``model_veo3-1-lite`` (first / last frame only, no reference
    images, the cheapest). It is templated, so one DAG can draft on Lite and render the final on the
    full model (``model_id="{{ params.model }}"``). A parameter the chosen model does not take is
    refused naming the model. A static ``model_id`` is checked when the DAG is parsed (it must be one
    of the three; ``None``, ``""`` or ``123`` are refused), a templated one after templating. To
    extend a video use :class:`~airflow_provider_veo.operators.veo31_extend.Veo31ExtendOperator`.

    **Validation.** Every parameter is checked by :class:`~airflow_provider_veo.models.veo31.Veo31Request`
    (allowed values and cross-field rules): the values known at DAG parse time when the DAG is parsed,
    all of them again after templating; a bad value fails naming the parameter, the value and what is
    allowed (and the task id), before any HTTP request. Rendered strings such as ``"8"`` or ``"true"``
    are converted for ``duration``, ``seed`` and ``generate_audio``; an image input that is not a
    string or a path (an int, a dict, bytes, a list for a single image) is refused. Readings not
    settled upstream (see ``docs/api-unknowns.md``) take the safe side: ``9:16`` with reference
    images, reference images with ``last_frame_image`` or without a ``prompt``, and
    ``reference_images_type`` without reference images are refused; ``generate_audio`` is always
    sent. Relax them with ``veo31_rules``, e.g.
    ``veo31_rules=Veo31Rules(reject_portrait_with_reference_images=False)``.

    **Images.** ``image``, ``last_frame_image`` and ``reference_images`` take Scenario asset ids
    (``asset_...``) or a local path / ``ObjectStoragePath`` / URI (``file://``, ``s3://conn@bucket/key``),
    which is uploaded (free) right before the submission.

    **Never paying twice.** The job is recorded in the task instance's ``task_state_store`` (Airflow
    3.3) under :attr:`job_state_key`, with a fingerprint of the request (``model_id`` and the Veo
    parameters, images as given: the asset id, path or URI, not the file's content). A retry looks
    the record up first. With the same fingerprint, a job still running is waited on again, a job
    that succeeded is returned as is, and only a job that failed, was canceled or no longer exists is
    submitted anew. With another fingerprint (e.g. a new prompt) the record is ignored and a new job
    submitted.

    *Unknown outcome.* The attempt itself (its API body and the time) is recorded just before the
    paid ``POST``. When that request's outcome is unknown (:class:`SubmissionOutcomeUnknownError`: a
    timeout, a dropped connection or a 5xx after sending), the record keeps the attempt and the retry
    looks for the job it may have created: ``GET /jobs`` lists the jobs created from
    :attr:`submission_clock_tolerance` before the attempt to the end of its request timeout plus that
    tolerance, and keeps those whose ``metadata.input`` holds every field of the recorded body. Exactly
    one match is adopted (recorded as the task's job, then handled as above: waited on, returned, or
    replaced if it failed); none means nothing was created and the request is submitted again; several
    (the same request sent by other tasks at that moment) cannot be told apart, and the task fails with
    :class:`AmbiguousSubmissionError` without submitting. A definite refusal (an HTTP error that
    created no job) deletes the record.

    *Clear and re-run.* Airflow 3.3.2 keeps a task's state when it is cleared, so a re-run follows
    the same rules as a retry: with the same parameters it re-attaches to the recorded job (returning
    a success without paying again, waiting on one still running); changing any Veo parameter or
    ``model_id`` changes the fingerprint and submits a new job. To generate a new video with the same
    parameters, delete the key first (``DELETE /api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/
    {task_id}/state-store/scenario_veo31_job``), or set ``[state_store] clear_on_success = True`` so
    the record goes when the task succeeds. Without a ``task_state_store`` (``execute()`` called
    outside a task runner) nothing is recorded and every run submits.

    **Cost.** The cost of every job is logged and returned. With ``max_creative_units`` the dry-run
    estimate is read first and nothing is submitted above it (:class:`CostLimitExceededError`).

    **Outcomes.** ``failure`` raises :class:`ScenarioJobFailedError` (with the API's error and hint),
    ``canceled`` :class:`ScenarioJobCanceledError`, a job still running at ``timeout``
    :class:`ScenarioJobTimeoutError` (its status is re-checked at the deadline; the job goes on and a
    retry resumes it). Killing the task tries to cancel the job with one request (no retry, at most
    :attr:`cancel_timeout` seconds, since the kill grace period is short), but Scenario refuses to
    cancel most generations: the job then goes on and its credits are spent.

    :param prompt: text prompt.
    :param image: first frame (asset id, path or URI).
    :param last_frame_image: last frame (asset id, path or URI); with ``image``, a transition.
    :param reference_images: 1 to 3 reference images (asset ids, paths or URIs); not with ``image``.
    :param reference_images_type: ``"ASSET"`` or ``"STYLE"`` (applies to all reference images).
    :param negative_prompt: what to avoid.
    :param resolution: ``"720p"`` or ``"1080p"``.
    :param generate_audio: generate the soundtrack (changes the price).
    :param aspect_ratio: ``"16:9"`` or ``"9:16"``.
    :param duration: 4, 6 or 8 seconds; with reference images it must be 8.
    :param seed: 0 to 4294967295, for reproducibility.
    :param model_id: ``model_veo3-1`` (default), ``model_veo3-1-fast`` or ``model_veo3-1-lite``;
        templated.
    :param scenario_conn_id: Airflow connection (type ``scenario``).
    :param project_id: Scenario project, when not the connection's.
    :param wait_for_completion: wait until the video is ready (else return the job id at once).
    :param deferrable: wait in the triggerer; ``None`` (the default) follows
        ``[operators] default_deferrable``, read when the task is created.
    :param poll_interval: seconds between two status reads.
    :param timeout: seconds to wait for the job, from the start of the wait (a deadline, not per poll).
    :param max_creative_units: refuse to submit when the dry-run estimate is above this.
    :param veo31_rules: how to judge the Veo 3.1 rules not settled upstream (default
        :data:`~airflow_provider_veo.models.veo31.DEFAULT_RULES`: the documented-safe reading); applied
        when the DAG is parsed and after templating.
    """

    template_fields: Sequence[str] = (*VEO31_PARAMETERS, "model_id", "project_id")
    template_fields_renderers: ClassVar[dict[str, str]] = {"reference_images": "py"}
    operator_extra_links = (ScenarioJobLink(),)
    ui_color = "#d6e4ff"

    job_state_key: ClassVar[str] = "scenario_veo31_job"
    """``task_state_store`` key of the recorded job; renaming it breaks the resumption of in-flight jobs."""

    submission_clock_tolerance: ClassVar[timedelta] = timedelta(seconds=30)
    """Clock difference allowed between the worker and the API when looking for the job of a
    submission whose outcome was unknown: only jobs created from this long before the attempt to the
    end of its request timeout (plus this) are candidates."""

    cancel_timeout: ClassVar[float] = CANCEL_TIMEOUT
    """Seconds the cancel request of :meth:`on_kill` may take (it is sent once, never retried)."""

    def __init__(
        self,
        *,
        prompt: str | None = None,
        image: ImageInput | None = None,
        last_frame_image: ImageInput | None = None,
        reference_images: Sequence[ImageInput] | None = None,
        reference_images_type: str | None = None,
        negative_prompt: str | None = None,
        resolution: str = DEFAULT_RESOLUTION,
        generate_audio: bool = DEFAULT_GENERATE_AUDIO,
        aspect_ratio: str = DEFAULT_ASPECT_RATIO,
        duration: int = DEFAULT_DURATION,
        seed: int | None = None,
        model_id: str = MODEL_ID,
        scenario_conn_id: str = ScenarioHook.default_conn_name,
        project_id: str | None = None,
        wait_for_completion: bool = True,
        deferrable: bool | None = None,
        poll_interval: float = 10.0,
        timeout: float = 3600.0,
        max_creative_units: float | None = None,
        veo31_rules: Veo31Rules | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.prompt = prompt
        self.image = image
        self.last_frame_image = last_frame_image
        self.reference_images = reference_images
        self.reference_images_type = reference_images_type
        self.negative_prompt = negative_prompt
        self.resolution = resolution
        self.generate_audio = generate_audio
        self.aspect_ratio = aspect_ratio
        self.duration = duration
        self.seed = seed
        self.model_id = model_id
        self.scenario_conn_id = scenario_conn_id
        self.project_id = project_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = default_deferrable(deferrable)
        self.poll_interval = positive_number("poll_interval", poll_interval)
        self.timeout = positive_number("timeout", timeout)
        self.max_creative_units = (
            None if max_creative_units is None else positive_number("max_creative_units", max_creative_units)
        )
        self.veo31_rules = DEFAULT_RULES if veo31_rules is None else veo31_rules
        self.job_id: str | None = None
        self._submit_deadline: float | None = None
        with naming_task(self.task_id):  # templated values: in build_request(), after templating
            check_at_parse_time(self._parameters(), self.model_id, self.veo31_rules)

    @cached_property
    def hook(self) -> ScenarioHook:
        return ScenarioHook(scenario_conn_id=self.scenario_conn_id, project_id=self.project_id)

    def build_request(self) -> Veo31Request:
        """Validate the current (rendered) parameters; image inputs appear as given, not uploaded yet."""
        with naming_task(self.task_id):
            return veo31_request(self._parameters(), self.veo31_rules, model_id=self.model_id)

    def _parameters(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in VEO31_PARAMETERS}

    def execute(self, context: Context) -> str | JobResult:
        # An empty link until a job exists: the link never looks up a missing XCom (logged as an error).
        context["ti"].xcom_push(key=JOB_URL_XCOM_KEY, value="")
        request = self.build_request()
        store = task_state_store(context)
        if store is None:
            self.log.warning(
                "No task_state_store in the task context: a retry of this task cannot resume its job "
                "and would submit (and pay for) a new one."
            )
        submission = self._submission(store, request_fingerprint(self.model_id, request))
        job = submission.recorded_job()
        job_id = job.job_id if job is not None else self._submit(context, submission, request)
        self.job_id = job_id
        context["ti"].xcom_push(key=JOB_ID_XCOM_KEY, value=job_id)
        context["ti"].xcom_push(key=JOB_URL_XCOM_KEY, value=self.hook.job_url(job_id))

        if not self.wait_for_completion:
            return job_id
        if job is not None and job.status is JobStatus.SUCCESS:
            return self._finish(JobEvent.from_terminal_job(job))
        if self.deferrable:
            return self._defer(job_id, current_try(context))
        return self._wait(job_id)

    def execute_after_ceiling(
        self, context: Context, event: dict[str, Any] | None = None, submit_deadline: float | None = None
    ) -> str | JobResult:
        """Resume after waiting (deferred) for the team's parallel-job ceiling: submit again.

        ``submit_deadline`` comes back from the deferral's kwargs; where a runner drops them (an
        in-line trigger run), the wait for the ceiling starts a new ``timeout``.
        """
        self._submit_deadline = submit_deadline
        return self.execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> str | JobResult:
        """Resume after :class:`JobCompleteTrigger` fired; everything needed comes in the event."""
        if is_stale_event(event, context):  # an earlier try's event (Airflow 3.0.x, 3.1.0)
            return self.execute(context)
        return self._finish(validate_job_event(event))

    def on_kill(self) -> None:
        """Try to cancel the job; Scenario refuses for most generations, which is logged plainly.

        The cancel is sent once (no retry, no backoff) within :attr:`cancel_timeout`: the worker
        only grants a short grace period to a killed task.
        """
        if not self.job_id:
            return
        try:
            self._cancel_hook().cancel_job(self.job_id)
        except ScenarioError as error:
            report_cancel(self.log, self.job_id, error)
        else:
            report_cancel(self.log, self.job_id, None)

    def _cancel_hook(self) -> ScenarioHook:
        """A hook that sends one request, bounded by :attr:`cancel_timeout`.

        It has its own HTTP session (``on_kill`` runs in a signal handler, maybe while the task's hook
        is mid-request) and reuses the settings the task already resolved (no connection lookup).
        """
        hook = ScenarioHook(
            scenario_conn_id=self.scenario_conn_id,
            project_id=self.project_id,
            max_retries=CANCEL_REQUEST_RETRIES,
        )
        settings = self.hook.settings
        hook.settings = dataclasses.replace(settings, timeout=min(settings.timeout, self.cancel_timeout))
        return hook

    def _submission(self, store: TaskStateStore | None, fingerprint: str) -> PaidSubmission:
        return PaidSubmission(
            hook=self.hook,
            store=store,
            key=self.job_state_key,
            fingerprint=fingerprint,
            log=self.log,
            clock_tolerance=self.submission_clock_tolerance,
        )

    def _submit(self, context: Context, submission: PaidSubmission, request: Veo31Request) -> str:
        """Upload the images, check the budget and submit once; wait out the team's job ceiling.

        A 429 naming the parallel-job limit provably created no job: the submission is sent again
        after ``Retry-After`` (or ``poll_interval``), within ``timeout`` of the first attempt. In
        deferrable mode the wait happens in the triggerer (no worker slot held).
        """
        body = self._upload_images(request).to_api_body()
        self._check_budget(body)
        deadline = self._submit_deadline or time.time() + self.timeout
        while True:
            try:
                return submission.submit(self.model_id, body)
            except ScenarioRateLimitError as error:
                if not error.is_parallel_job_limit:
                    raise
                delay = ceiling_delay(error, self.poll_interval)
                if time.time() + delay > deadline:
                    raise
                self.log.warning(
                    "The team's limit of %s parallel jobs is reached (HTTP 429, nothing was created or "
                    "billed); submitting again in %.0f s",
                    error.action_limit,
                    delay,
                )
                if self.deferrable:
                    self._defer_submission(delay, deadline)
                time.sleep(delay)

    def _defer_submission(self, delay: float, deadline: float) -> None:
        from airflow.providers.standard.triggers.temporal import DateTimeTrigger

        self.defer(
            trigger=DateTimeTrigger(moment=datetime.now(timezone.utc) + timedelta(seconds=delay)),
            method_name="execute_after_ceiling",
            kwargs={"submit_deadline": deadline},
        )

    def _check_budget(self, body: dict[str, Any]) -> None:
        """Refuse to submit above ``max_creative_units`` (the estimate is a finite number >= 0)."""
        if self.max_creative_units is None:
            return
        estimate = self.hook.estimate_cost(self.model_id, body)
        if not estimate <= self.max_creative_units:
            raise CostLimitExceededError(
                estimate=estimate, limit=self.max_creative_units, model_id=self.model_id
            )
        self.log.info(
            "Estimated cost: %g creative units (max_creative_units=%g)", estimate, self.max_creative_units
        )

    def _upload_images(self, request: Veo31Request) -> Veo31Request:
        """The request with every image input that is not an asset id uploaded and replaced by its id."""
        first, last, references = request.image, request.last_frame_image, request.reference_images
        return dataclasses.replace(
            request,
            image=first and self._asset_id(first),
            last_frame_image=last and self._asset_id(last),
            reference_images=references and [self._asset_id(image) for image in references],
        )

    def _asset_id(self, image: str) -> str:
        asset_id = resolve_image(self.hook, image)
        if asset_id != image:
            self.log.info("Uploaded image %s as asset %s", image, asset_id)
        return asset_id

    def _defer(self, job_id: str, try_number: int | None) -> JobResult:
        job = self.hook.get_job(job_id)
        if job.status.is_terminal:
            self.log.info("Job %s already finished; not deferring", job_id)
            return self._finish(JobEvent.from_terminal_job(job))
        self.defer(
            trigger=JobCompleteTrigger(
                job_id=job_id,
                end_time=time.time() + self.timeout,
                scenario_conn_id=self.scenario_conn_id,
                project_id=self.project_id,
                poll_interval=self.poll_interval,
                try_number=try_number,
            ),
            method_name="execute_complete",
            timeout=None,
        )

    def _wait(self, job_id: str) -> JobResult:
        end_time = time.time() + self.timeout
        poller = JobPoller(job_id=job_id, end_time=end_time, log=self.log)
        while True:
            try:
                job = self.hook.get_job(job_id, deadline=end_time)
            except ScenarioError as error:
                event = poller.on_error(error)
            else:
                event = poller.on_job(job)
            event = event or poller.on_deadline()
            if event is not None:
                return self._finish(event)
            time.sleep(poller.next_delay(self.poll_interval))

    def _finish(self, event: JobEvent) -> JobResult:
        """Log the outcome and its cost; return the result or raise the outcome's exception."""
        self.log.info(
            "Scenario job %s ended: %s; cost %s creative units; assets %s",
            event.job_id,
            event.status.value,
            format_cost(event.cost),
            list(event.asset_ids),
        )
        return event.result()


def ceiling_delay(error: ScenarioRateLimitError, poll_interval: float) -> float:
    """Seconds to wait after the parallel-job ceiling: ``Retry-After``, else the poll interval."""
    if error.retry_after is not None and error.retry_after > 0:
        return min(error.retry_after, MAX_CEILING_DELAY)
    return poll_interval
