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
from airflow_provider_veo.testing.emulator.faults import Fault


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
