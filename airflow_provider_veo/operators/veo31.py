"""Generate a video with Google Veo 3.1 through Scenario."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from airflow_provider_veo._compat import conf
from airflow_provider_veo.exceptions import (
    AmbiguousSubmissionError,
    CostLimitExceededError,
    ScenarioAPIError,
    ScenarioError,
    ScenarioNotFoundError,
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
from airflow_provider_veo.operators.veo31_parameters import (
    VEO31_PARAMETERS,
    known_at_parse_time,
    request_fingerprint,
    veo31_request,
)
from airflow_provider_veo.task_state import TaskStateStore, task_state_store
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from airflow_provider_veo.triggers.job_event import (
    JobEvent,
    JobResult,
    format_cost,
    job_status,
    validate_job_event,
)
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

MAX_JOBS_SCANNED = 1000


class Veo31GenerateOperator(BaseOperator):
    """Generate a video with Google Veo 3.1 (Scenario model ``model_veo3-1``).

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

    **Validation.** Every parameter is checked by :class:`~airflow_provider_veo.models.veo31.Veo31Request`
    (allowed values and cross-field rules): the values known at DAG parse time when the DAG is parsed,
    all of them again after templating; a bad value fails naming the parameter, the value and what is
    allowed, before any HTTP request. Rendered strings such as ``"8"`` or ``"true"`` are converted for
    ``duration``, ``seed`` and ``generate_audio``. Two rules are not settled upstream (see
    ``docs/api-unknowns.md``): ``9:16`` with reference images is refused and ``generate_audio`` is
    always sent. Relax them with ``veo31_rules``, e.g.
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
    :param duration: 4, 6 or 8 seconds (8 only with reference images).
    :param seed: 0 to 4294967295, for reproducibility.
    :param model_id: Scenario model id.
    :param scenario_conn_id: Airflow connection (type ``scenario``).
    :param project_id: Scenario project, when not the connection's.
    :param wait_for_completion: wait until the video is ready (else return the job id at once).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between two status reads.
    :param timeout: seconds to wait for the job, from the start of the wait (a deadline, not per poll).
    :param max_creative_units: refuse to submit when the dry-run estimate is above this.
    :param veo31_rules: how to judge the Veo 3.1 rules not settled upstream (default
        :data:`~airflow_provider_veo.models.veo31.DEFAULT_RULES`: the documented-safe reading); applied
        when the DAG is parsed and after templating.
    """

    template_fields: Sequence[str] = (*VEO31_PARAMETERS, "project_id")
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
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
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
        self.deferrable = deferrable
        self.poll_interval = _positive("poll_interval", poll_interval)
        self.timeout = _positive("timeout", timeout)
        self.max_creative_units = (
            None if max_creative_units is None else _positive("max_creative_units", max_creative_units)
        )
        self.veo31_rules = DEFAULT_RULES if veo31_rules is None else veo31_rules
        self.job_id: str | None = None
        veo31_request(known_at_parse_time(self._parameters()), self.veo31_rules)  # templated: in execute()

    @cached_property
    def hook(self) -> ScenarioHook:
        return ScenarioHook(scenario_conn_id=self.scenario_conn_id, project_id=self.project_id)

    def build_request(self) -> Veo31Request:
        """Validate the current (rendered) parameters; image inputs appear as given, not uploaded yet."""
        return veo31_request(self._parameters(), self.veo31_rules)

    def _parameters(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in VEO31_PARAMETERS}

    def execute(self, context: Context) -> str | JobResult:
        request = self.build_request()
        store = task_state_store(context)
        if store is None:
            self.log.warning(
                "No task_state_store in the task context: a retry of this task cannot resume its job "
                "and would submit (and pay for) a new one."
            )
        fingerprint = request_fingerprint(self.model_id, request)
        job_id, succeeded = self._recorded_job(store, fingerprint)
        if job_id is None:
            job_id = self._submit(request, store, fingerprint)
        self.job_id = job_id
        context["ti"].xcom_push(key=JOB_ID_XCOM_KEY, value=job_id)
        context["ti"].xcom_push(key=JOB_URL_XCOM_KEY, value=self.hook.job_url(job_id))

        if not self.wait_for_completion:
            return job_id
        if succeeded is not None:
            return self._finish(succeeded)
        if self.deferrable:
            return self._defer(job_id, current_try(context))
        return self._wait(job_id)

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

    def _recorded_job(
        self, store: TaskStateStore | None, fingerprint: str
    ) -> tuple[str | None, JobEvent | None]:
        """The job to resume instead of submitting: ``(job_id, success event if it already succeeded)``."""
        recorded = store.get(self.job_state_key) if store is not None else None
        if recorded is None:
            return None, None
        if not isinstance(recorded, dict):
            self.log.warning("Ignoring an unreadable recorded job %r", recorded)
            return None, None
        if recorded.get("request_sha256") != fingerprint:
            self.log.info("The recorded job was submitted with other parameters; submitting a new job")
            return None, None
        job_id = recorded.get("job_id")
        if job_id is None and isinstance(recorded.get("submitted_at"), str):
            job_id = self._find_unconfirmed_submission(recorded)
            if job_id is None:
                return None, None
            if store is not None:
                store.set(self.job_state_key, {"job_id": job_id, "request_sha256": fingerprint})
        if not isinstance(job_id, str):
            self.log.warning("Ignoring an unreadable recorded job %r", recorded)
            return None, None
        try:
            job = self.hook.get_job(job_id)
        except ScenarioNotFoundError:
            self.log.warning("Recorded job %s no longer exists; submitting a new job", job_id)
            return None, None
        status = job_status(job)
        if status is JobStatus.SUCCESS:
            self.log.info("Job %s recorded by an earlier try already succeeded; not submitting again", job_id)
            return job_id, JobEvent.from_terminal_job(job, job_id=job_id)
        if not status.is_terminal:
            self.log.info(
                "Resuming job %s (%s) submitted by an earlier try; not submitting again", job_id, status.value
            )
            return job_id, None
        self.log.warning(
            "Job %s recorded by an earlier try ended with %s; submitting a new job", job_id, status.value
        )
        return None, None

    def _find_unconfirmed_submission(self, recorded: dict[str, Any]) -> str | None:
        """The job an earlier try's submission created although its outcome was unknown, if any.

        The earlier try recorded the body and the time right before its ``POST`` and then got no
        answer (:class:`SubmissionOutcomeUnknownError`). Its job, if the API created one, was created
        within the request's timeout of that time and its ``metadata.input`` holds every field of the
        body. Exactly one such job is resumed; none means nothing was created (submit again); several
        (the same request sent by other tasks at the same moment) cannot be told apart, so the task
        fails rather than take another task's job or pay twice. The residual risk: if this attempt
        created nothing while another task sent the very same request within
        :attr:`submission_clock_tolerance`, that job is adopted (nobody pays twice, but both tasks get
        the same video); distinct seeds rule it out.
        """
        body = recorded.get("body")
        if not isinstance(body, dict):
            return None
        attempted_at = _parse_utc(str(recorded["submitted_at"]))
        tolerance = self.submission_clock_tolerance
        window_end = attempted_at + timedelta(seconds=self.hook.settings.timeout) + tolerance
        since = attempted_at - tolerance
        jobs = self.hook.list_jobs(created_after=_format_utc(since), page_size=100)
        candidates = [
            str(job["jobId"])
            for job in itertools.islice(jobs, MAX_JOBS_SCANNED)
            if _parse_utc(str(job.get("createdAt"))) <= window_end
            and all(
                (job.get("metadata", {}).get("input") or {}).get(key) == value for key, value in body.items()
            )
        ]
        if len(candidates) > 1:
            raise AmbiguousSubmissionError(job_ids=candidates, key=self.job_state_key)
        if candidates:
            self.log.warning(
                "An earlier try's submission (outcome unknown) created job %s; resuming it instead of "
                "paying for a new one",
                candidates[0],
            )
            return candidates[0]
        self.log.warning(
            "An earlier try's submission (outcome unknown) created no job around %s; submitting again",
            recorded["submitted_at"],
        )
        return None

    def _submit(self, request: Veo31Request, store: TaskStateStore | None, fingerprint: str) -> str:
        """Submit once, recording the attempt before the paid call and the job id right after it."""
        body = self._upload_images(request).to_api_body()
        if self.max_creative_units is not None:
            estimate = self.hook.estimate_cost(self.model_id, body)
            if estimate > self.max_creative_units:
                raise CostLimitExceededError(
                    estimate=estimate, limit=self.max_creative_units, model_id=self.model_id
                )
            self.log.info(
                "Estimated cost: %g creative units (max_creative_units=%g)", estimate, self.max_creative_units
            )
        if store is not None:
            store.set(
                self.job_state_key,
                {
                    "job_id": None,
                    "request_sha256": fingerprint,
                    "submitted_at": _format_utc(datetime.now(timezone.utc)),
                    "body": body,
                },
            )
        try:
            response = self.hook.run_model(self.model_id, body)
        except ScenarioAPIError:
            if store is not None:  # a definite refusal: no job exists, nothing to look for on retry
                store.delete(self.job_state_key)
            raise
        job_id = str(response["job"]["jobId"])
        if store is not None:
            store.set(self.job_state_key, {"job_id": job_id, "request_sha256": fingerprint})
        self.log.info(
            "Submitted Scenario job %s to %s; billed %s creative units",
            job_id,
            self.model_id,
            format_cost(response.get("creativeUnitsCost")),
        )
        return job_id

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
        if job_status(job).is_terminal:
            self.log.info("Job %s already finished; not deferring", job_id)
            return self._finish(JobEvent.from_terminal_job(job, job_id=job_id))
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
        poller = JobPoller(job_id=job_id, end_time=time.time() + self.timeout, log=self.log)
        while True:
            try:
                job = self.hook.get_job(job_id)
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


def _format_utc(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)
