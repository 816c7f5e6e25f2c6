"""Synchronous hook for the Scenario REST API (used by operators and sensors)."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import requests
from requests.auth import AuthBase
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from airflow_provider_veo import log_redaction
from airflow_provider_veo._compat import AirflowNotFoundException, mask_secret
from airflow_provider_veo.exceptions import (
    DryRunIgnoredError,
    ScenarioAuthenticationError,
    ScenarioError,
    ScenarioPermissionError,
    ScenarioProtocolError,
    ScenarioUploadError,
    SubmissionOutcomeUnknownError,
)
from airflow_provider_veo.hooks import connection_form, endpoints
from airflow_provider_veo.hooks.base import ScenarioBaseHook
from airflow_provider_veo.hooks.connection_settings import (
    DEFAULT_CONN_ID,
    USER_AGENT,
    ScenarioConnectionSettings,
    missing_connection,
    resolve_settings,
)
from airflow_provider_veo.hooks.endpoints import DEFAULT_MAX_PAGES, DRY_RUN_STATUS, Pagination, api_path
from airflow_provider_veo.hooks.image_upload import (
    SMALL_UPLOAD_LIMIT,
    ImageSource,
    image_source,
    plan_parts,
    read_exactly,
)
from airflow_provider_veo.hooks.responses import (
    ERROR_BODY_BYTES,
    MAX_JSON_BYTES,
    M,
    check_id,
    decode_json,
    parse,
    parse_job,
    too_large,
)
from airflow_provider_veo.hooks.retry_policy import GiveUp, RetriedCall, Retry, RetryPolicy, request_timeout
from airflow_provider_veo.models.api import (
    CostEstimate,
    DownloadUrl,
    Job,
    JobsPage,
    ModelInfo,
    RunModelResponse,
    ScenarioAsset,
    Upload,
    UploadStatus,
)

log_redaction.install()


class _BasicAuth(AuthBase):
    """Adds the precomputed ``Authorization: Basic`` header to requests under the API root only.

    The request's origin (scheme, IDNA host, port) is compared with the API root's, so neither an
    upper-case nor an internationalised host name loses the header, and a CDN or storage URL fetched
    through the same session never receives the credentials. Its repr shows nothing secret.
    """

    def __init__(self, settings: ScenarioConnectionSettings) -> None:
        self._settings = settings

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._settings.is_api_url(request.url or ""):
            request.headers["Authorization"] = self._settings.authorization
        return request

    def __repr__(self) -> str:
        return "<Scenario Basic auth>"


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Per-request override of the session's auth, for presigned URLs (which must get no credentials)."""
    return request


def read_capped(response: requests.Response, limit: int = ERROR_BODY_BYTES) -> bytes:
    """At most ``limit`` bytes of a (streamed) error body: enough for a reason, never a flood."""
    body = bytearray()
    try:
        for chunk in response.iter_content(16 * 1024):
            body += chunk
            if len(body) >= limit:
                break
    except requests.RequestException:
        pass  # an error body cut short still names the status
    return bytes(body[:limit])


@dataclass(frozen=True)
class Answer:
    """A successful answer, read whole: its status (200, or 269 for a dry run) and body."""

    status_code: int
    body: bytes


def _read_body(response: requests.Response, *, method: str, path: str) -> bytes:
    """The body, at most :data:`MAX_JSON_BYTES` (a larger one is refused without reading it all)."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_JSON_BYTES:
        raise too_large(method=method, path=path)
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise too_large(method=method, path=path)
    return bytes(body)


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the request provably never reached the server: the connection could not be opened."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        cause = exc.args[0]
        if isinstance(cause, MaxRetryError):
            cause = cause.reason
        # urllib3's NewConnectionError (refused, unreachable, DNS) subclasses ConnectTimeoutError.
        return isinstance(cause, ConnectTimeoutError)
    return False


class ScenarioHook(ScenarioBaseHook):
    """Call the Scenario API: run a model, follow jobs, read assets, upload images.

    Credentials come from an Airflow connection of type ``scenario`` (login = API key, password =
    API secret, host = API base URL, extras ``project_id``, ``timeout``, ``web_url``), or from the
    official SDKs' variables ``SCENARIO_SDK_API_KEY`` / ``SCENARIO_SDK_API_SECRET`` /
    ``SCENARIO_BASE_URL`` for what the connection leaves empty.

    Idempotent calls are retried on connection errors, timeouts, 408, 429 and 5xx (exponential
    backoff with jitter, honouring ``Retry-After``). The paid :meth:`run_model` is retried only when
    no job can have been created (HTTP 429, or the connection could not be opened); after a timeout,
    a dropped connection or a 5xx it raises :class:`SubmissionOutcomeUnknownError` instead.

    Every answer is parsed into a typed model (:mod:`airflow_provider_veo.models.api`); one that
    cannot be trusted raises :class:`ScenarioProtocolError` naming the field. Redirects are never
    followed and JSON answers are capped at :data:`~airflow_provider_veo.hooks.responses.MAX_JSON_BYTES`.

    .. code-block:: python

        hook = ScenarioHook(scenario_conn_id="scenario_default")
        cost = hook.estimate_cost("model_veo3-1", {"prompt": "a red fox", "generateAudio": True})
        job = hook.run_model("model_veo3-1", {"prompt": "a red fox", "generateAudio": True}).job
        print(hook.get_job(job.job_id).status)

    :param scenario_conn_id: the Airflow connection id.
    :param project_id: Scenario project, sent as ``projectId`` on every call; overrides the
        connection's ``project_id`` extra.
    :param max_retries: retries of a transient failure after the first attempt.
    :param backoff_base: first backoff delay in seconds (doubles on each retry).
    :param backoff_max: upper bound of a backoff delay in seconds.
    :param upload_poll_interval: seconds between two status reads of a multipart upload.
    :param upload_timeout: seconds to wait for a multipart upload to be imported.
    """

    def __init__(
        self,
        *,
        scenario_conn_id: str = DEFAULT_CONN_ID,
        project_id: str | None = None,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        upload_poll_interval: float = 1.0,
        upload_timeout: float = 600.0,
    ) -> None:
        super().__init__(
            scenario_conn_id=scenario_conn_id,
            project_id=project_id,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )
        self.upload_poll_interval = upload_poll_interval
        self.upload_timeout = upload_timeout

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The connection form's standard fields on Airflow 3.0/3.1 (3.2+ reads the provider info)."""
        return connection_form.ui_field_behaviour()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The connection form's extra fields on Airflow 3.0/3.1 (3.2+ reads the provider info)."""
        return connection_form.connection_form_widgets()

    # --- connection ---------------------------------------------------------------------------------

    @cached_property
    def settings(self) -> ScenarioConnectionSettings:
        """The resolved connection settings; the credentials are registered with the secret masker."""
        try:
            conn = self.get_connection(self.scenario_conn_id)
        except AirflowNotFoundException:
            missing_connection(self.scenario_conn_id)
            conn = None
        settings = resolve_settings(
            conn,
            conn_id=self.scenario_conn_id,
            extras=conn.extra_dejson if conn is not None else {},
            project_id=self.project_id_override,
        )
        for secret in settings.secrets:
            mask_secret(secret)
        return settings

    @cached_property
    def session(self) -> requests.Session:
        """The hook's HTTP session: connection reuse, User-Agent, and Basic auth for API URLs only."""
        session = requests.Session()
        session.auth = _BasicAuth(self.settings)
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        return session

    def get_conn(self) -> requests.Session:
        """The hook's HTTP session (see :attr:`session`)."""
        return self.session

    @property
    def base_url(self) -> str:
        """The API root, e.g. ``https://api.cloud.scenario.com/v1``."""
        return self.settings.base_url

    def test_connection(self) -> tuple[bool, str]:
        """Check the credentials with one cheap authenticated read (``GET /jobs?pageSize=1``)."""
        try:
            self._parse(
                JobsPage,
                None,
                "GET",
                endpoints.JOBS,
                params={"pageSize": 1},
                policy=RetryPolicy(max_retries=0),
            )
        except (ScenarioAuthenticationError, ScenarioPermissionError) as exc:
            return False, f"The Scenario API rejected the credentials (HTTP {exc.status_code}): {exc.reason}"
        except ScenarioError as exc:
            return False, str(exc)
        return True, f"Connection to Scenario API successful ({self.base_url})"

    # --- jobs ---------------------------------------------------------------------------------------

    def run_model(self, model_id: str, body: Mapping[str, Any]) -> RunModelResponse:
        """Submit a paid generation: ``POST /generate/custom/{model_id}`` with ``body`` sent verbatim.

        :return: the parsed answer: ``.job`` (``Job``) and ``.creative_units_cost``.
        :raises SubmissionOutcomeUnknownError: the request may have created a job (timeout, dropped
            connection, 5xx or redirect after sending, or an answer that cannot be trusted); it is
            never retried in that case.
        """
        method, path = "POST", api_path(endpoints.RUN_MODEL, model_id)
        response = self._send(method, path, json=dict(body), paid_model_id=model_id)
        try:
            return parse(
                RunModelResponse,
                self._json(response, method, path),
                None,
                method=method,
                path=path,
                secrets=self.settings.secrets,
            )
        except ScenarioProtocolError as error:
            raise SubmissionOutcomeUnknownError(model_id=model_id, cause=str(error)) from None

    def estimate_cost(self, model_id: str, body: Mapping[str, Any]) -> float:
        """Cost in creative units of ``run_model(model_id, body)``, from a dry run (HTTP 269, no job).

        :raises DryRunIgnoredError: the API answered with a job (HTTP 200): it ignored the dry run.
        :raises ScenarioProtocolError: the estimate is missing, negative or not a finite number.
        """
        method, path = "POST", api_path(endpoints.RUN_MODEL, model_id)
        response = self._send(method, path, params={"dryRun": "true"}, json=dict(body))
        payload = self._json(response, method, path)
        if response.status_code != DRY_RUN_STATUS:
            job = payload.get("job") if isinstance(payload, dict) else None
            job_id = job.get("jobId") if isinstance(job, dict) else None
            raise DryRunIgnoredError(model_id=model_id, status_code=response.status_code, job_id=job_id)
        estimate = parse(CostEstimate, payload, None, method=method, path=path, secrets=self.settings.secrets)
        return estimate.creative_units_cost

    def get_job(self, job_id: str, *, deadline: float | None = None) -> Job:
        """The job of ``GET /jobs/{job_id}``; retries never wait past ``deadline`` (epoch seconds)."""
        method, path = "GET", api_path(endpoints.JOB, job_id)
        payload = self._json(self._send(method, path, deadline=deadline), method, path)
        return parse_job(payload, job_id, method=method, path=path, secrets=self.settings.secrets)

    def list_jobs(
        self,
        *,
        status: str | None = None,
        created_after: str | None = None,
        updated_after: str | None = None,
        page_size: int | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[Job]:
        """Iterate over the project's jobs (newest first), following ``nextPaginationToken``.

        :param status: only jobs in this status (a ``JobStatus`` or its value).
        :param created_after: only jobs created after this ISO 8601 timestamp.
        :param updated_after: only jobs updated after this ISO 8601 timestamp.
        :param page_size: jobs per request (1-100; the API's default is 50).
        :param max_pages: most pages read; a listing that goes on longer, or whose pagination token
            does not advance, raises :class:`ScenarioProtocolError` instead of looping.
        """
        params: dict[str, Any] = {
            "status": status,
            "createdAfter": created_after,
            "updatedAfter": updated_after,
            "pageSize": page_size,
        }
        pages = Pagination(method="GET", path=endpoints.JOBS, max_pages=max_pages)
        while True:
            payload = self._json(self._send("GET", endpoints.JOBS, params=params), "GET", endpoints.JOBS)
            page = parse(
                JobsPage, payload, None, method="GET", path=endpoints.JOBS, secrets=self.settings.secrets
            )
            yield from page.jobs
            token = pages.next_token(page.next_pagination_token)
            if token is None:
                return
            params["paginationToken"] = token

    def cancel_job(self, job_id: str) -> Job:
        """Ask the API to cancel a job; returns the job.

        :raises ScenarioInvalidRequestError: the API refuses (e.g. a job type that cannot be canceled).
        """
        method, path = "POST", api_path(endpoints.JOB_ACTION, job_id)
        payload = self._json(self._send(method, path, json=endpoints.CANCEL_ACTION), method, path)
        return parse_job(payload, job_id, method=method, path=path, secrets=self.settings.secrets)

    def job_url(self, job_id: str) -> str:
        """Link to the job in the Scenario web app (``web_url`` extra, default https://app.scenario.com)."""
        return f"{self.settings.web_url}{api_path(endpoints.JOB, job_id)}"

    # --- assets and models --------------------------------------------------------------------------

    def get_asset(self, asset_id: str) -> ScenarioAsset:
        """The asset of ``GET /assets/{asset_id}`` (its ``url`` is a signed, expiring CDN URL)."""
        method, path = "GET", api_path(endpoints.ASSET, asset_id)
        asset = self._parse(ScenarioAsset, "asset", method, path)
        check_id(asset.id, asset_id, field="asset.id", method=method, path=path)
        return asset

    def get_download_url(self, asset_id: str) -> str:
        """A freshly signed URL of the asset's original file (``POST /assets/{asset_id}/download``)."""
        method, path = "POST", api_path(endpoints.ASSET_DOWNLOAD, asset_id)
        return self._parse(DownloadUrl, None, method, path, json={}).url

    def get_model(self, model_id: str) -> ModelInfo:
        """The model of ``GET /models/{model_id}`` (``inputs``, ``performanceStats``, ...)."""
        return self._parse(ModelInfo, "model", "GET", api_path(endpoints.MODEL, model_id))

    def upload_image(self, source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> str:
        """Upload an image and return its asset id (to use as ``image``, ``lastFrameImage``, ...).

        :param source: a local path, an ``ObjectStoragePath`` or its URI (``file://``, ``s3://``, ...),
            or the image bytes.
        :param name: file name given to the asset; defaults to the source's name.

        Images under 6 MB are sent base64-encoded to ``POST /assets``; larger ones use the multipart
        ``/uploads`` flow, streamed part by part.
        """
        image = image_source(source, name=name)
        if image.size < SMALL_UPLOAD_LIMIT:
            with image.open() as stream:
                encoded = base64.b64encode(stream.read()).decode("ascii")
            asset = self._parse(
                ScenarioAsset, "asset", "POST", endpoints.ASSETS, json={"name": image.name, "image": encoded}
            )
            return asset.id
        return self._multipart_upload(image)

    def _multipart_upload(self, image: ImageSource) -> str:
        part_size, part_count = plan_parts(image.size)
        upload = self._parse(
            Upload,
            "upload",
            "POST",
            endpoints.UPLOADS,
            json={
                "fileName": image.name,
                "contentType": image.content_type,
                "fileSize": image.size,
                "kind": "image",
                "parts": part_count,
            },
        )
        with image.open() as stream:
            for part in sorted(upload.parts, key=lambda part: part.number):
                label = f"upload {upload.id} part {part.number}"
                self._send("PUT", label, presigned_url=part.url, data=read_exactly(stream, part_size))
        self._send("POST", api_path(endpoints.UPLOAD_ACTION, upload.id), json=endpoints.COMPLETE_ACTION)
        return self._wait_for_upload(upload.id)

    def _wait_for_upload(self, upload_id: str) -> str:
        deadline = time.monotonic() + self.upload_timeout
        while True:
            upload = self._parse(Upload, "upload", "GET", api_path(endpoints.UPLOAD, upload_id))
            if upload.status is UploadStatus.FAILED:
                raise ScenarioUploadError(
                    f"Upload {upload_id} failed: {upload.error_message or 'no error message given'}"
                )
            if upload.entity_id:
                return upload.entity_id
            if upload.status.is_done:
                raise ScenarioUploadError(
                    f"Upload {upload_id} is {upload.status.value} but names no asset (entityId)"
                )
            if time.monotonic() >= deadline:
                raise ScenarioUploadError(
                    f"Upload {upload_id} was not imported within {self.upload_timeout:g} s "
                    f"(status {upload.status.value})"
                )
            time.sleep(self.upload_poll_interval)

    # --- HTTP ---------------------------------------------------------------------------------------

    def _parse(self, model: type[M], key: str | None, method: str, path: str, **kwargs: Any) -> M:
        """Call the API and parse its answer (or its ``key`` field) as ``model``."""
        payload = self._json(self._send(method, path, **kwargs), method, path)
        return parse(model, payload, key, method=method, path=path, secrets=self.settings.secrets)

    def _json(self, answer: Answer, method: str, path: str) -> Any:
        return decode_json(answer.body, method=method, path=path, secrets=self.settings.secrets)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        presigned_url: str | None = None,
        paid_model_id: str | None = None,
        policy: RetryPolicy | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """Send one request with the retry rules; return the successful (2xx) status and body.

        ``path`` is relative to the API root (it also labels errors and logs). ``presigned_url``
        replaces the API URL: that request gets no credentials and no ``projectId``.
        ``paid_model_id`` marks the paid submission: retried only when no job can exist.
        Redirects are never followed; the body is read within the retries (a body cut short is a
        transport failure) and at most :data:`MAX_JSON_BYTES` of it. Retries never wait past
        ``deadline`` (epoch seconds).
        """
        settings = self.settings
        if settings.insecure:
            self.log.warning(
                "The Scenario connection %r sends its credentials over plain http (allow_insecure_http)",
                self.scenario_conn_id,
            )
        call = RetriedCall(
            policy=policy or self.retry_policy,
            method=method,
            path=path,
            base_url=settings.base_url,
            secrets=settings.secrets,
            paid_model_id=paid_model_id,
            deadline=deadline,
        )
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    presigned_url or settings.base_url + path,
                    params=None if presigned_url else settings.query(params),
                    json=json,
                    data=data,
                    auth=_no_auth if presigned_url else None,
                    timeout=(settings.connect_timeout, request_timeout(settings.timeout, deadline)),
                    allow_redirects=False,
                    stream=True,
                )
                if response.status_code < 300:
                    with response:
                        body = _read_body(response, method=method, path=path)
                    self.log.debug("%s %s -> HTTP %s", method, path, response.status_code)
                    return Answer(status_code=response.status_code, body=body)
            except requests.RequestException as exc:
                decision: Retry | GiveUp = call.after_transport_error(
                    attempt, exc, never_sent=_never_sent(exc)
                )
            else:
                with response:
                    if response.status_code < 400:
                        decision = call.after_redirect(
                            status_code=response.status_code, location=response.headers.get("Location")
                        )
                    else:
                        decision = call.after_error_response(
                            attempt,
                            status_code=response.status_code,
                            headers=response.headers,
                            body=read_capped(response),
                        )
            time.sleep(self._delay_or_raise(call, attempt, decision))
            attempt += 1
