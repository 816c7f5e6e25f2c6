"""Building and mangling HTTP responses: JSON, errors, connection resets, truncated bodies."""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import web

from airflow_provider_veo.testing.emulator.errors import ApiError
from airflow_provider_veo.testing.emulator.faults import DELETE, Fault


def json_response(body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def error_response(error: ApiError) -> web.Response:
    return json_response(error.body(), status=error.status, headers=error.headers)


def fault_response(fault: Fault) -> web.Response:
    code = fault.status_code or 500
    body = dict(fault.body) if fault.body is not None else {"reason": HTTPStatus(code).phrase}
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
    return json_response(body, status=code, headers=headers)


def malformed_response(response: web.Response, fault: Fault) -> web.Response:
    """``response`` changed as the ``malform`` fault says (fields edited, body, status or type replaced)."""
    status = fault.status_code or response.status
    content_type = fault.content_type or response.content_type
    if fault.raw_body is not None:
        return web.Response(body=fault.raw_body.encode(), status=status, content_type=content_type)
    body = response.body
    payload = json.loads(bytes(body)) if isinstance(body, (bytes, bytearray, memoryview)) and body else None
    for path, value in (fault.edits or {}).items():
        payload = edit_json(payload, path, value)
    return web.Response(
        body=json.dumps(payload, separators=(",", ":")).encode(), status=status, content_type=content_type
    )


def edit_json(payload: Any, path: str, value: Any) -> Any:
    """``payload`` with the field at dotted ``path`` set to ``value`` (or removed for ``DELETE``).

    >>> edit_json({"job": {"status": "success"}}, "job.status", 7)
    {'job': {'status': 7}}
    """
    *parents, last = path.split(".")
    node = payload
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        index = int(last)
        if value == DELETE:
            del node[index]
        else:
            node[index] = value
    elif value == DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return payload


def redirect_response(fault: Fault) -> web.Response:
    return web.Response(status=fault.status_code or 302, headers={"Location": fault.location or "/"})


def reset_connection(request: web.BaseRequest) -> None:
    """Drop the connection with a TCP RST, answering nothing."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def close_connection(request: web.BaseRequest) -> None:
    """Close the connection after what was written so far is flushed (FIN, not RST)."""
    if request.transport is not None:
        request.transport.close()


async def send_truncated(
    request: web.Request, response: web.Response, after_bytes: int
) -> web.StreamResponse:
    """Send ``response`` with its full ``Content-Length`` but only ``after_bytes`` of its body."""
    body = response.body
    data = bytes(body) if isinstance(body, (bytes, bytearray, memoryview)) else b""
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    stream.content_length = len(data)
    await stream.prepare(request)
    await stream.write(data[:after_bytes])
    close_connection(request)
    return stream
