"""The response check the baseline HttpEventTrigger imports (as in anchor-baselines.md)."""

from __future__ import annotations

from typing import Any


async def job_done(response: Any) -> bool:
    return bool(response.json()["job"]["status"] == "success")
