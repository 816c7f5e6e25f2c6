"""Submit jobs to the emulator and run triggers to their first event."""

from __future__ import annotations

import asyncio
from typing import Any

from airflow.triggers.base import BaseTrigger

from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.veo31 import MODEL_ID, Veo31Request


def submit_job(prompt: str = "a fox in the snow", **params: Any) -> str:
    """Submit a Veo 3.1 job through the real hook (over HTTP); return its id."""
    body = Veo31Request(prompt=prompt, duration=params.pop("duration", 4), **params).to_api_body()
    return ScenarioHook().run_model(MODEL_ID, body).job.job_id


async def first_event(trigger: BaseTrigger, timeout: float = 15.0) -> dict[str, Any]:
    """Run the trigger until its first event, as the triggerer does; return the event payload."""
    run = trigger.run()
    try:
        event = await asyncio.wait_for(anext(run), timeout)
    finally:
        await run.aclose()
    return dict(event.payload)
