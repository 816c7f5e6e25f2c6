"""Paths and response shapes of the Scenario API endpoints, shared by the sync and async hooks."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow_provider_veo.exceptions import ScenarioAPIError

CANCEL_ACTION = {"action": "cancel"}
COMPLETE_ACTION = {"action": "complete"}


def api_path(template: str, *ids: str) -> str:
    """Fill a path template with ids, each percent-encoded so it stays one path segment."""
    return template.format(*(quote(str(i), safe="") for i in ids))


JOB = "/jobs/{}"
JOB_ACTION = "/jobs/{}/action"
JOBS = "/jobs"
RUN_MODEL = "/generate/custom/{}"
ASSETS = "/assets"
ASSET = "/assets/{}"
ASSET_DOWNLOAD = "/assets/{}/download"
UPLOADS = "/uploads"
UPLOAD = "/uploads/{}"
UPLOAD_ACTION = "/uploads/{}/action"
MODEL = "/models/{}"


def unwrap(payload: Any, key: str, *, method: str, path: str, status_code: int) -> Any:
    """Return ``payload[key]`` or raise a :class:`ScenarioAPIError` naming the unexpected response."""
    if isinstance(payload, dict) and key in payload and payload[key] is not None:
        return payload[key]
    raise ScenarioAPIError(
        status_code=status_code,
        reason=f"unexpected response: no {key!r} field in the JSON body",
        method=method,
        path=path,
    )
