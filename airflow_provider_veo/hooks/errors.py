"""Map a Scenario API error response to the exception classes of :mod:`airflow_provider_veo.exceptions`.

Shared by the sync and async hooks. Messages carry the method, the path (relative to the API root,
no query string), the HTTP status and the API's ``reason`` / ``hint``; any credential string that a
server might echo back is redacted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from airflow_provider_veo.exceptions import (
    ScenarioAPIError,
    ScenarioAuthenticationError,
    ScenarioConflictError,
    ScenarioInvalidRequestError,
    ScenarioNotFoundError,
    ScenarioPermissionError,
    ScenarioRateLimitError,
    ScenarioServerError,
)

REDACTED = "***"
MAX_TEXT = 500

_CLASS_BY_STATUS: dict[int, type[ScenarioAPIError]] = {
    400: ScenarioInvalidRequestError,
    401: ScenarioAuthenticationError,
    403: ScenarioPermissionError,
    404: ScenarioNotFoundError,
    409: ScenarioConflictError,
    422: ScenarioInvalidRequestError,
}


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each (non-empty) secret in ``text``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def truncate(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters (marked with an ellipsis). Redact before truncating: a
    secret crossing the cut would otherwise leave a prefix behind."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_body(body: bytes, secrets: tuple[str, ...]) -> tuple[str | None, str | None, dict[str, Any]]:
    """Return ``(reason, hint, details)`` from a ``{"reason", "hint", "details"}`` body or plain text,
    every string redacted (whole) and then truncated."""
    text = redact(body.decode("utf-8", errors="replace").strip(), secrets)
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        reason = payload.get("reason") or payload.get("message") or payload.get("error")
        hint = payload.get("hint")
        details = payload.get("details")
        return (
            truncate(str(reason)) if reason else None,
            truncate(str(hint)) if hint else None,
            details if isinstance(details, dict) else {},
        )
    return (truncate(text) or None), None, {}


def api_error(
    *,
    status_code: int,
    body: bytes,
    method: str,
    path: str,
    retry_after: float | None,
    secrets: Iterable[str],
) -> ScenarioAPIError:
    """Build the exception for an error response (401, 403, 404, 400/409/422, 429, 5xx, other)."""
    secrets = tuple(secrets)
    reason, hint, details = _parse_body(body, secrets)
    common: dict[str, Any] = {
        "status_code": status_code,
        "reason": reason or f"HTTP {status_code} without an error message",
        "method": method,
        "path": path,
        "hint": hint,
        "details": details or None,
    }
    if status_code == 429:
        return ScenarioRateLimitError(retry_after=retry_after, **common)
    if status_code >= 500:
        return ScenarioServerError(**common)
    return _CLASS_BY_STATUS.get(status_code, ScenarioAPIError)(**common)
