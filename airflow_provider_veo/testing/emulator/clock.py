"""Wall-clock timestamps in the API's format."""

from __future__ import annotations

from datetime import datetime, timezone


def iso(timestamp: float) -> str:
    """``2026-11-24T10:00:00.000Z`` for a POSIX timestamp."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """POSIX timestamp of an ISO 8601 date (``Z`` or an offset); naive dates are UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
