"""The control API under ``/_emulator`` (no auth, JSON): what the Python handle does, over HTTP.

- ``POST /_emulator/faults`` a fault or a list (``FaultRule.from_dict`` form); ``GET`` lists them,
  ``DELETE`` clears them.
- ``POST /_emulator/fail-next-jobs`` ``{"count": 1, "error": "...", "hint": "..."}``
- ``POST /_emulator/expire-urls``, ``POST /_emulator/reset``
- ``GET /_emulator/counters``
- ``POST /_emulator/assets`` ``{"kind": "image", "width": 1280, "height": 720}`` or
  ``{"kind": "video", "size": 1073741824}`` -> ``{"assetId": ...}``
- ``GET /_emulator/jobs/{jobId}`` the job as ``GET /v1/jobs/{jobId}`` returns it, without auth.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from airflow_provider_veo.testing.emulator.errors import ApiError
from airflow_provider_veo.testing.emulator.faults import FaultRule
from airflow_provider_veo.testing.emulator.responses import json_response
from airflow_provider_veo.testing.emulator.routes import CONTROL_PREFIX, STATE, read_json


def _object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ApiError(400, "Invalid body: must be a JSON object")
    return body


def _int(body: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{key} must be an integer, got {value!r}")
    return value


async def add_faults(request: web.Request) -> web.Response:
    body = await read_json(request)
    items = body if isinstance(body, list) else [_object(body)]
    try:
        rules = [FaultRule.from_dict(_object(item)) for item in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(400, f"Invalid fault: {exc}") from None
    state = request.app[STATE]
    for rule in rules:
        state.faults.add(rule)
    return json_response({"faults": state.faults.pending()})


async def list_faults(request: web.Request) -> web.Response:
    return json_response({"faults": request.app[STATE].faults.pending()})


async def clear_faults(request: web.Request) -> web.Response:
    request.app[STATE].faults.clear()
    return json_response({"faults": []})


async def fail_next_jobs(request: web.Request) -> web.Response:
    body = _object(await read_json(request))
    error = body.get("error")
    if not isinstance(error, str) or not error:
        raise ApiError(400, "error is required")
    hint = body.get("hint")
    request.app[STATE].fail_next_jobs(_int(body, "count", 1) or 0, error=error, hint=hint)
    return json_response({"ok": True})


async def expire_urls(request: web.Request) -> web.Response:
    request.app[STATE].expire_urls()
    return json_response({"ok": True})


async def reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return json_response({"ok": True})


async def counters(request: web.Request) -> web.Response:
    state = request.app[STATE]
    with state.lock:
        return json_response(state.counters.snapshot())


async def create_asset(request: web.Request) -> web.Response:
    body = _object(await read_json(request))
    state = request.app[STATE]
    now = time.time()
    project_id = body.get("projectId")
    kind = body.get("kind", "image")
    try:
        if kind == "image":
            asset = state.create_image_asset(
                width=_int(body, "width", 1280) or 0,
                height=_int(body, "height", 720) or 0,
                project_id=project_id,
                now=now,
            )
        elif kind == "video":
            asset = state.create_video_asset(size=_int(body, "size", None), project_id=project_id, now=now)
        else:
            raise ApiError(400, "kind must be 'image' or 'video'")
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    return json_response({"assetId": asset.asset_id})


async def get_job(request: web.Request) -> web.Response:
    now = time.time()
    job = request.app[STATE].job(request.match_info["jobId"], project_id=None, now=now)
    return json_response({"job": job.to_json(now)})


def add_control_routes(app: web.Application) -> None:
    routes = app.router
    routes.add_post(CONTROL_PREFIX + "/faults", add_faults)
    routes.add_get(CONTROL_PREFIX + "/faults", list_faults)
    routes.add_delete(CONTROL_PREFIX + "/faults", clear_faults)
    routes.add_post(CONTROL_PREFIX + "/fail-next-jobs", fail_next_jobs)
    routes.add_post(CONTROL_PREFIX + "/expire-urls", expire_urls)
    routes.add_post(CONTROL_PREFIX + "/reset", reset)
    routes.add_get(CONTROL_PREFIX + "/counters", counters)
    routes.add_post(CONTROL_PREFIX + "/assets", create_asset)
    routes.add_get(CONTROL_PREFIX + "/jobs/{jobId}", get_job)
