"""The error the emulator answers: ``{"reason": ...}`` (+ ``hint``, ``details``) with a status code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """An API error response; raised by the state, rendered by the HTTP layer."""

    def __init__(
        self,
        status: int,
        reason: str,
        *,
        hint: str | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason
        self.hint = hint
        self.details = dict(details) if details else None
        self.headers = dict(headers) if headers else {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"reason": self.reason}
        if self.hint is not None:
            body["hint"] = self.hint
        if self.details is not None:
            body["details"] = self.details
        return body
