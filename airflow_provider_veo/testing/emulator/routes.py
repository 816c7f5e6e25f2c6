"""The ``/v1`` API routes of the emulator and the middleware that counts, injects faults and authenticates."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from airflow_provider_veo.testing.emulator import route_keys as keys
from airflow_provider_veo.testing.emulator.errors import ApiError
from airflow_provider_veo.testing.emulator.faults import FaultKind
from airflow_provider_veo.testing.emulator.responses import (
    error_response,
    fault_response,
    json_response,
    malformed_response,
    redirect_response,
    reset_connection,
    send_truncated,
)
from airflow_provider_veo.testing.emulator.state import EmulatorState

API_PREFIX: Final = "/v1"
CONTROL_PREFIX: Final = "/_emulator"
STATE: Final = web.AppKey("state", EmulatorState)
#: Set on a request whose body must be cut after this many bytes (streaming handlers honour it).
TRUNCATE_AFTER: Final = web.RequestKey("truncate_after", int)
#: Set on a request whose streamed answer must announce this Content-Type instead (the CDN honours it).
CONTENT_TYPE: Final = web.RequestKey("content_type", str)
#: Routes that carry their own signature instead of Basic auth.
PRESIGNED_ROUTES: Final = frozenset({keys.PUT_UPLOAD_PART})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def route_key(method: str, canonical: str) -> str:
    """``"GET /jobs/{jobId}"`` for ``GET /v1/jobs/{jobId}``; paths outside ``/v1`` are kept whole."""
    path = canonical[len(API_PREFIX) :] if canonical.startswith(API_PREFIX + "/") else canonical
    return f"{method} {path}"


def _authorized(request: web.Request, state: EmulatorState) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    if not state.config.strict_credentials:
        key, _, secret = decoded.partition(b":")
        return bool(key) and bool(secret)
    expected = f"{state.config.api_key}:{state.config.api_secret}".encode()
    return hmac.compare_digest(decoded, expected)


@web.middleware
async def emulator_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count the request, apply an injected fault, check Basic auth, render :class:`ApiError`."""
    state = request.app[STATE]
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else None
    if canonical is not None and canonical.startswith(CONTROL_PREFIX):
        return await _answer(request, handler)
    key = route_key(request.method, canonical) if canonical is not None else None
    with state.lock:
        state.counters.methods[request.method] += 1
        if key is not None:
            state.counters.routes[key] += 1
    fault = state.faults.take(key) if key is not None else None
    if fault is not None:
        if fault.kind is FaultKind.DELAY:
            await asyncio.sleep(fault.seconds)
        elif fault.kind is FaultKind.RESET and not fault.after_effect:
            reset_connection(request)
            return web.Response(status=499)
        elif fault.kind is FaultKind.STATUS and not fault.after_effect:
            return fault_response(fault)
        elif fault.kind is FaultKind.REDIRECT and not fault.after_effect:
            return redirect_response(fault)
        elif fault.kind is FaultKind.TRUNCATE:
            request[TRUNCATE_AFTER] = fault.after_bytes
        elif fault.kind is FaultKind.MALFORM and fault.content_type is not None:
            request[CONTENT_TYPE] = fault.content_type
    needs_auth = (
        key is not None
        and key not in PRESIGNED_ROUTES
        and canonical is not None
        and canonical.startswith(API_PREFIX)
    )
    if needs_auth and not _authorized(request, state):
        response: web.StreamResponse = error_response(
            ApiError(401, "Unauthorized: invalid API key or secret")
        )
    else:
        response = await _answer(request, handler)
    if fault is not None and fault.kind is FaultKind.STATUS and response.status < 400:
        return fault_response(fault)
    if fault is not None and fault.kind is FaultKind.RESET:
        reset_connection(request)
        return web.Response(status=499)
    if fault is not None and fault.kind is FaultKind.REDIRECT and response.status < 400:
        return redirect_response(fault)
    if fault is not None and fault.kind is FaultKind.MALFORM and isinstance(response, web.Response):
        return malformed_response(response, fault)
    if fault is not None and fault.kind is FaultKind.TRUNCATE and isinstance(response, web.Response):
        return await send_truncated(request, response, fault.after_bytes)
    return response


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc)
    except web.HTTPException as exc:
        if exc.status >= 400:
            return json_response({"reason": exc.reason}, status=exc.status, headers=exc.headers)
        raise


async def read_json(request: web.Request, *, default: Any = None) -> Any:
    raw = await request.read()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "Invalid JSON body") from None


def _project(request: web.Request) -> str | None:
    return request.query.get("projectId") or None


async def generate(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await read_json(request, default={})
    status, payload = state.submit(
        request.match_info["modelId"],
        body,
        project_id=_project(request),
        dry_run=request.query.get("dryRun") in ("true", "api"),
        now=time.time(),
    )
    return json_response(payload, status=status)


async def get_job(request: web.Request) -> web.Response:
    state = request.app[STATE]
    now = time.time()
    job = state.job(request.match_info["jobId"], project_id=_project(request), now=now)
    return json_response({"job": job.to_json(now)})


async def list_jobs(request: web.Request) -> web.Response:
    return json_response(request.app[STATE].list_jobs(request.query, now=time.time()))


async def job_action(request: web.Request) -> web.Response:
    body = await read_json(request)
    state = request.app[STATE]
    result = state.act_on_job(
        request.match_info["jobId"], body, project_id=_project(request), now=time.time()
    )
    return json_response(result)


async def upload_asset(request: web.Request) -> web.Response:
    body = await read_json(request)
    return json_response(
        request.app[STATE].upload_inline(body, project_id=_project(request), now=time.time())
    )


async def get_asset(request: web.Request) -> web.Response:
    state = request.app[STATE]
    now = time.time()
    asset = state.asset(request.match_info["assetId"], project_id=_project(request), now=now)
    await asset.content.load()
    return json_response({"asset": asset.to_json(state.cdn_url(asset, now=now))})


async def download_asset(request: web.Request) -> web.Response:
    """``POST /assets/{id}/download``: a fresh signed URL; ``targetFormat`` must be the stored format."""
    state = request.app[STATE]
    now = time.time()
    asset = state.asset(request.match_info["assetId"], project_id=_project(request), now=now)
    body = await read_json(request, default={})
    target = body.get("targetFormat") if isinstance(body, dict) else None
    stored = asset.content.mime_type.rpartition("/")[2]
    if target is not None and str(target).lower() not in {stored, "jpg" if stored == "jpeg" else stored}:
        raise ApiError(400, "Invalid target format", hint="Omit targetFormat to download the stored file")
    return json_response({"url": state.cdn_url(asset, now=now), "mimeType": asset.content.mime_type})


async def create_upload(request: web.Request) -> web.Response:
    body = await read_json(request)
    return json_response(
        request.app[STATE].create_upload(body, project_id=_project(request), now=time.time())
    )


async def get_upload(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return json_response(
        state.upload_json(request.match_info["uploadId"], project_id=_project(request), now=time.time())
    )


async def upload_action(request: web.Request) -> web.Response:
    body = await read_json(request)
    state = request.app[STATE]
    result = state.complete_upload(
        request.match_info["uploadId"], body, project_id=_project(request), now=time.time()
    )
    return json_response(result)


async def put_upload_part(request: web.Request) -> web.Response:
    data = await request.content.read()
    etag = request.app[STATE].put_part(
        request.match_info["uploadId"],
        request.match_info["partNumber"],
        data,
        path=request.path,
        query=request.query,
        now=time.time(),
    )
    return web.Response(status=200, headers={"ETag": f'"{etag}"'})


async def get_model(request: web.Request) -> web.Response:
    return json_response(request.app[STATE].model(request.match_info["modelId"], now=time.time()))


_HANDLERS: Final[dict[str, Handler]] = {
    keys.GENERATE: generate,
    keys.GET_JOB: get_job,
    keys.LIST_JOBS: list_jobs,
    keys.JOB_ACTION: job_action,
    keys.UPLOAD_ASSET: upload_asset,
    keys.GET_ASSET: get_asset,
    keys.DOWNLOAD_ASSET: download_asset,
    keys.CREATE_UPLOAD: create_upload,
    keys.GET_UPLOAD: get_upload,
    keys.UPLOAD_ACTION: upload_action,
    keys.PUT_UPLOAD_PART: put_upload_part,
    keys.GET_MODEL: get_model,
}


def add_api_routes(app: web.Application) -> None:
    for key in keys.API_ROUTES:
        method, path = key.split(" ")
        app.router.add_route(method, API_PREFIX + path, _HANDLERS[key])
