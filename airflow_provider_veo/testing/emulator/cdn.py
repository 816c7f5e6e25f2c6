"""The emulator's CDN: asset bytes at signed URLs, with HTTP Range, answering like CloudFront.

``GET /cdn/assets/{assetId}?Policy=...&Signature=...&Key-Pair-Id=...``: 403 (XML ``AccessDenied``)
when the URL is expired or tampered, 206 with ``Content-Range`` for a satisfiable single range,
416 otherwise; multi-range requests get the whole file (200), which RFC 9110 allows.
"""

from __future__ import annotations

import re
import time
from email.utils import formatdate
from typing import Final

from aiohttp import web

from airflow_provider_veo.testing.emulator.responses import close_connection
from airflow_provider_veo.testing.emulator.route_keys import CDN_GET
from airflow_provider_veo.testing.emulator.routes import CONTENT_TYPE, STATE, TRUNCATE_AFTER

CDN_PATH: Final = CDN_GET.split(" ")[1]
_RANGE: Final = re.compile(r"^bytes=(\d*)-(\d*)$")


def _xml_error(status: int, code: str, message: str) -> web.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return web.Response(status=status, text=body, content_type="text/xml")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` inclusive for a single-range ``Range`` header; ``None`` means the whole file.

    Raises :class:`ValueError` for an unsatisfiable range.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(size - length, 0), size - 1
    start = int(first)
    end = size - 1 if not last else min(int(last), size - 1)
    if start >= size or (last and int(last) < start):
        raise ValueError("range not satisfiable")
    return start, end


async def serve_asset(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    now = time.time()
    refused = state.signer.check_cdn(request.path, request.query, now=now)
    if refused is not None:
        return _xml_error(403, "AccessDenied", "Access denied")
    asset = state.assets.get(request.match_info["assetId"])
    if asset is None or not asset.exists(now):
        return _xml_error(404, "NoSuchKey", "The specified key does not exist.")
    content = asset.content
    await content.load()
    size = content.size
    headers = {
        "Content-Type": request.get(CONTENT_TYPE) or content.mime_type,
        "Accept-Ranges": "bytes",
        "ETag": f'"{content.etag}"',
        "Last-Modified": formatdate(asset.updated_at, usegmt=True),
        "Cache-Control": "private, max-age=86400",
    }
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except ValueError:
        return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
    if byte_range is None:
        start, end, status = 0, size - 1, 200
    else:
        start, end = byte_range
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = end - start + 1
    await response.prepare(request)
    if request.method == "HEAD" or size == 0:
        return response
    budget: int | None = request.get(TRUNCATE_AFTER)
    for chunk in content.iter_range(start, end):
        if budget is not None and len(chunk) >= budget:
            await response.write(chunk[:budget])
            close_connection(request)
            return response
        await response.write(chunk)
        if budget is not None:
            budget -= len(chunk)
    await response.write_eof()
    return response


def add_cdn_routes(app: web.Application) -> None:
    app.router.add_get(CDN_PATH, serve_asset)
