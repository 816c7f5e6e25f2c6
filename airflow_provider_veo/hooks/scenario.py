"""Synchronous hook for the Scenario REST API (used by operators and sensors)."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

import requests
from requests.auth import AuthBase
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from airflow_provider_veo._compat import AirflowNotFoundException, mask_secret
from airflow_provider_veo.exceptions import (
    ScenarioAPIError,
    ScenarioAuthenticationError,
    ScenarioError,
    ScenarioPermissionError,
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
from airflow_provider_veo.hooks.endpoints import api_path, unwrap
from airflow_provider_veo.hooks.image_upload import (
    SMALL_UPLOAD_LIMIT,
    ImageSource,
    UploadStatus,
    image_source,
    plan_parts,
    read_exactly,
)
from airflow_provider_veo.hooks.retry_policy import RetriedCall, RetryPolicy


class _BasicAuth(AuthBase):
    """Adds the precomputed ``Authorization: Basic`` header to requests under the API root only.

    A CDN or storage URL fetched through the same session never receives the credentials.
    Its repr shows nothing secret.
    """

    def __init__(self, authorization: str, api_root: str) -> None:
        self._authorization = authorization
        self._prefix = api_root.rstrip("/") + "/"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if (request.url or "").startswith(self._prefix):
            request.headers["Authorization"] = self._authorization
        return request

    def __repr__(self) -> str:
        return "<Scenario Basic auth>"


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Per-request override of the session's auth, for presigned URLs (which must get no credentials)."""
    return request


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

    .. code-block:: python

        hook = ScenarioHook(scenario_conn_id="scenario_default")
        cost = hook.estimate_cost("model_veo3-1", {"prompt": "a red fox", "generateAudio": True})
        job = hook.run_model("model_veo3-1", {"prompt": "a red fox", "generateAudio": True})["job"]
        print(hook.get_job(job["jobId"])["status"])

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
        session.auth = _BasicAuth(self.settings.authorization, self.settings.base_url)
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
            self._call("GET", endpoints.JOBS, params={"pageSize": 1}, policy=RetryPolicy(max_retries=0))
        except (ScenarioAuthenticationError, ScenarioPermissionError) as exc:
            return False, f"The Scenario API rejected the credentials (HTTP {exc.status_code}): {exc.reason}"
        except ScenarioError as exc:
            return False, str(exc)
        return True, f"Connection to Scenario API successful ({self.base_url})"

    # --- jobs ---------------------------------------------------------------------------------------

    def run_model(self, model_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Submit a paid generation: ``POST /generate/custom/{model_id}`` with ``body`` sent verbatim.

        :return: the whole response: ``{"job": {...}, "creativeUnitsCost": ..., ...}``.
        :raises SubmissionOutcomeUnknownError: the request may have created a job (timeout, dropped
            connection or 5xx after sending); it is never retried in that case.
        """
        method, path = "POST", api_path(endpoints.RUN_MODEL, model_id)
        response = self._send(method, path, json=dict(body), paid_model_id=model_id)
        try:
            payload = response.json()
            unwrap(payload, "job", method=method, path=path, status_code=response.status_code)
        except (ValueError, ScenarioAPIError) as exc:
            raise SubmissionOutcomeUnknownError(
                model_id=model_id, cause=f"HTTP {response.status_code} with an unreadable body: {exc}"
            ) from None
        return dict(payload)

    def estimate_cost(self, model_id: str, body: Mapping[str, Any]) -> float:
        """Cost in creative units of ``run_model(model_id, body)``, from a dry run (HTTP 269, no job)."""
        cost = self._call_for(
            "creativeUnitsCost",
            "POST",
            api_path(endpoints.RUN_MODEL, model_id),
            params={"dryRun": "true"},
            json=dict(body),
        )
        return float(cost)

    def get_job(self, job_id: str) -> dict[str, Any]:
        """The job object of ``GET /jobs/{job_id}``."""
        return dict(self._call_for("job", "GET", api_path(endpoints.JOB, job_id)))

    def list_jobs(
        self,
        *,
        status: str | None = None,
        created_after: str | None = None,
        updated_after: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Iterate over the project's jobs (newest first), following ``nextPaginationToken``.

        :param status: only jobs in this status (a ``JobStatus`` or its value).
        :param created_after: only jobs created after this ISO 8601 timestamp.
        :param updated_after: only jobs updated after this ISO 8601 timestamp.
        :param page_size: jobs per request (1-100; the API's default is 50).
        """
        params: dict[str, Any] = {
            "status": status,
            "createdAfter": created_after,
            "updatedAfter": updated_after,
            "pageSize": page_size,
        }
        while True:
            response = self._send("GET", endpoints.JOBS, params=params)
            payload = self._json(response, "GET", endpoints.JOBS)
            yield from unwrap(
                payload, "jobs", method="GET", path=endpoints.JOBS, status_code=response.status_code
            )
            token = payload.get("nextPaginationToken")
            if not token:
                return
            params["paginationToken"] = token

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        """Ask the API to cancel a job; returns the job.

        :raises ScenarioInvalidRequestError: the API refuses (e.g. a job type that cannot be canceled).
        """
        path = api_path(endpoints.JOB_ACTION, job_id)
        return dict(self._call_for("job", "POST", path, json=endpoints.CANCEL_ACTION))

    def job_url(self, job_id: str) -> str:
        """Link to the job in the Scenario web app (``web_url`` extra, default https://app.scenario.com)."""
        return f"{self.settings.web_url}{api_path(endpoints.JOB, job_id)}"

    # --- assets and models --------------------------------------------------------------------------

    def get_asset(self, asset_id: str) -> dict[str, Any]:
        """The asset object of ``GET /assets/{asset_id}`` (its ``url`` is a signed, expiring CDN URL)."""
        return dict(self._call_for("asset", "GET", api_path(endpoints.ASSET, asset_id)))

    def get_download_url(self, asset_id: str) -> str:
        """A freshly signed URL of the asset's original file (``POST /assets/{asset_id}/download``)."""
        return str(self._call_for("url", "POST", api_path(endpoints.ASSET_DOWNLOAD, asset_id), json={}))

    def get_model(self, model_id: str) -> dict[str, Any]:
        """The model object of ``GET /models/{model_id}`` (``inputs``, ``performanceStats``, ...)."""
        return dict(self._call_for("model", "GET", api_path(endpoints.MODEL, model_id)))

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
            asset = self._call_for(
                "asset", "POST", endpoints.ASSETS, json={"name": image.name, "image": encoded}
            )
            return str(asset["id"])
        return self._multipart_upload(image)

    def _multipart_upload(self, image: ImageSource) -> str:
        part_size, part_count = plan_parts(image.size)
        upload = self._call_for(
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
        upload_id = str(upload["id"])
        parts = sorted(upload["parts"], key=lambda part: int(part["number"]))
        with image.open() as stream:
            for part in parts:
                label = f"upload {upload_id} part {part['number']}"
                self._send(
                    "PUT", label, url=part["url"], data=read_exactly(stream, part_size), presigned=True
                )
        self._call("POST", api_path(endpoints.UPLOAD_ACTION, upload_id), json=endpoints.COMPLETE_ACTION)
        return self._wait_for_upload(upload_id)

    def _wait_for_upload(self, upload_id: str) -> str:
        deadline = time.monotonic() + self.upload_timeout
        while True:
            upload = self._call_for("upload", "GET", api_path(endpoints.UPLOAD, upload_id))
            status = UploadStatus(upload["status"])
            if status is UploadStatus.FAILED:
                raise ScenarioUploadError(
                    f"Upload {upload_id} failed: {upload.get('errorMessage') or 'no error message given'}"
                )
            if upload.get("entityId"):
                return str(upload["entityId"])
            if status.is_done:
                raise ScenarioUploadError(
                    f"Upload {upload_id} is {status.value} but names no asset (entityId)"
                )
            if time.monotonic() >= deadline:
                raise ScenarioUploadError(
                    f"Upload {upload_id} was not imported within {self.upload_timeout:g} s "
                    f"(status {status.value})"
                )
            time.sleep(self.upload_poll_interval)

    # --- HTTP ---------------------------------------------------------------------------------------

    def _call_for(self, key: str, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API and return the ``key`` field of the JSON response."""
        response = self._send(method, path, **kwargs)
        payload = self._json(response, method, path)
        return unwrap(payload, key, method=method, path=path, status_code=response.status_code)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API and return the decoded JSON response."""
        return self._json(self._send(method, path, **kwargs), method, path)

    @staticmethod
    def _json(response: requests.Response, method: str, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ScenarioAPIError(
                status_code=response.status_code, reason="the response is not JSON", method=method, path=path
            ) from None

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        url: str | None = None,
        presigned: bool = False,
        paid_model_id: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> requests.Response:
        """Send one request with the retry rules; return the successful (< 400) response.

        ``path`` is relative to the API root (it also labels errors and logs). ``url`` replaces the
        API URL for a ``presigned`` request, which gets no credentials and no ``projectId``.
        ``paid_model_id`` marks the paid submission: retried only when no job can exist.
        """
        settings = self.settings
        call = RetriedCall(
            policy=policy or self.retry_policy,
            method=method,
            path=path,
            base_url=settings.base_url,
            secrets=settings.secrets,
            paid_model_id=paid_model_id,
        )
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    url if presigned and url else settings.base_url + path,
                    params=None if presigned else settings.query(params),
                    json=json,
                    data=data,
                    auth=_no_auth if presigned else None,
                    timeout=(settings.connect_timeout, settings.timeout),
                )
            except requests.RequestException as exc:
                decision = call.after_transport_error(attempt, exc, never_sent=_never_sent(exc))
            else:
                if response.status_code < 400:
                    self.log.debug("%s %s -> HTTP %s", method, path, response.status_code)
                    return response
                decision = call.after_error_response(
                    attempt, status_code=response.status_code, headers=response.headers, body=response.content
                )
            time.sleep(self._delay_or_raise(call, attempt, decision))
            attempt += 1
