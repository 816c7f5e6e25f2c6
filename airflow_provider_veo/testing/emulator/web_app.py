"""A stand-in for the Scenario web app's job page, so the "Scenario Job" link works against the emulator.

``GET /app/jobs/{jobId}`` shows the job's status, progress, cost and assets as plain HTML. The
emulator's :meth:`~airflow_provider_veo.testing.ScenarioEmulator.airflow_connection` sets the
connection's ``web_url`` extra to ``<emulator>/app``.
"""

from __future__ import annotations

import html
import json
import time
from typing import Final

from aiohttp import web

from airflow_provider_veo.testing.emulator.errors import ApiError
from airflow_provider_veo.testing.emulator.routes import STATE

WEB_APP_PREFIX: Final = "/app"


async def job_page(request: web.Request) -> web.Response:
    state = request.app[STATE]
    now = time.time()
    try:
        job = state.job(request.match_info["jobId"], project_id=None, now=now).to_json(now)
    except ApiError:
        return web.Response(status=404, text="No such job in this emulator", content_type="text/plain")
    title = html.escape(f"Scenario emulator: job {job['jobId']} ({job['status']})")
    body = html.escape(json.dumps(job, indent=2))
    page = f"<!doctype html><title>{title}</title><h1>{title}</h1><pre>{body}</pre>"
    return web.Response(text=page, content_type="text/html")


def add_web_app_routes(app: web.Application) -> None:
    app.router.add_get(WEB_APP_PREFIX + "/jobs/{jobId}", job_page)
