"""A loopback HTTP server answering ``GET /v1/jobs/{jobId}`` with a fixed job object.

For answers the emulator never gives (it always echoes ``jobId``): the code under test still talks
real HTTP through its real hooks, to this server instead of the emulator.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web


@asynccontextmanager
async def serve_job(job: Mapping[str, Any]) -> AsyncIterator[str]:
    """Serve ``{"job": job}`` for every job id; yield the ``AIRFLOW_CONN_*`` JSON pointing at it."""

    async def get_job(request: web.Request) -> web.Response:
        return web.json_response({"job": dict(job)})

    app = web.Application()
    app.router.add_get("/v1/jobs/{jobId}", get_job)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield json.dumps(
            {
                "conn_type": "scenario",
                "host": f"http://127.0.0.1:{port}/v1",
                "login": "stub-key",
                "password": "stub-secret",
            }
        )
    finally:
        await runner.cleanup()
