"""Capture what Airflow's (structlog) loggers emit, as formatted messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog.testing


class CapturedLog:
    def __init__(self, entries: list[dict[str, object]]) -> None:
        self.entries = entries

    def messages(self, level: str | None = None) -> list[str]:
        return [str(e["event"]) for e in self.entries if level is None or e.get("log_level") == level]

    def text(self) -> str:
        return "\n".join(self.messages())


@contextmanager
def captured_logs() -> Iterator[CapturedLog]:
    """Every log line emitted in the block (the task and trigger loggers included)."""
    with structlog.testing.capture_logs() as entries:
        yield CapturedLog(entries)
