"""Faults the emulator can inject on a route: error statuses, delays, resets and truncated bodies.

>>> rule = FaultRule(fault=Fault.status(503), route="GET /jobs/{jobId}", times=2)
>>> rule.times
2
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from airflow_provider_veo.testing.emulator.route_keys import ANY_ROUTE, check_route


class FaultKind(str, Enum):
    STATUS = "status"
    DELAY = "delay"
    RESET = "reset"
    TRUNCATE = "truncate"
    MALFORM = "malform"
    REDIRECT = "redirect"


#: In :meth:`Fault.malform` ``edits``: remove the field instead of setting it.
DELETE: Final = "__delete__"


@dataclass(frozen=True, kw_only=True)
class Fault:
    """One misbehaviour; build it with :meth:`status`, :meth:`delay`, :meth:`reset` or :meth:`truncate`.

    >>> Fault.status(429, retry_after=1).retry_after
    1
    """

    kind: FaultKind
    status_code: int | None = None
    retry_after: float | None = None
    body: Mapping[str, Any] | None = None
    after_effect: bool = False
    seconds: float = 0.0
    after_bytes: int = 0
    edits: Mapping[str, Any] | None = None
    raw_body: str | None = None
    content_type: str | None = None
    location: str | None = None

    @classmethod
    def status(
        cls,
        code: int,
        *,
        retry_after: float | None = None,
        body: Mapping[str, Any] | None = None,
        after_effect: bool = False,
    ) -> Fault:
        """Answer ``code`` (with ``Retry-After`` when given) instead of the real response.

        ``after_effect=True``: run the request first (a ``POST /generate`` creates its job), then answer
        the error, so the caller cannot know the outcome.
        """
        if not 400 <= code <= 599:
            raise ValueError(f"a status fault needs an error code (400-599), got {code}")
        return cls(
            kind=FaultKind.STATUS,
            status_code=code,
            retry_after=retry_after,
            body=body,
            after_effect=after_effect,
        )

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before answering normally."""
        if seconds < 0:
            raise ValueError(f"delay must be >= 0, got {seconds}")
        return cls(kind=FaultKind.DELAY, seconds=seconds)

    @classmethod
    def reset(cls, *, after_effect: bool = False) -> Fault:
        """Close the TCP connection (RST) without answering (after running the request with
        ``after_effect``: a ``POST /generate`` then creates its job, and the caller never learns it)."""
        return cls(kind=FaultKind.RESET, after_effect=after_effect)

    @classmethod
    def truncate(cls, *, after_bytes: int) -> Fault:
        """Send the headers with the full ``Content-Length``, then ``after_bytes`` of the body, then close."""
        if after_bytes < 0:
            raise ValueError(f"after_bytes must be >= 0, got {after_bytes}")
        return cls(kind=FaultKind.TRUNCATE, after_bytes=after_bytes)

    @classmethod
    def malform(
        cls,
        *,
        edits: Mapping[str, Any] | None = None,
        raw_body: str | None = None,
        status: int | None = None,
        content_type: str | None = None,
    ) -> Fault:
        """Run the request for real (a ``POST /generate`` creates its job), then answer something else.

        ``edits`` set fields of the JSON answer by dotted path (``"job.metadata.assetIds"``; list
        items by index, ``"jobs.0.createdAt"``; the value :data:`DELETE` removes the field);
        ``raw_body`` replaces the whole body (e.g. not JSON); ``status`` replaces the status (a dry
        run answered 200); ``content_type`` replaces it (on the CDN too: an HTML page for a video).
        """
        if edits is None and raw_body is None and status is None and content_type is None:
            raise ValueError("a malform fault needs edits, raw_body, status or content_type")
        return cls(
            kind=FaultKind.MALFORM,
            edits=dict(edits) if edits is not None else None,
            raw_body=raw_body,
            status_code=status,
            content_type=content_type,
        )

    @classmethod
    def redirect(cls, location: str, *, code: int = 302, after_effect: bool = False) -> Fault:
        """Answer ``code`` with ``Location: location`` (after running the request with ``after_effect``)."""
        if not 300 <= code <= 399:
            raise ValueError(f"a redirect fault needs a 3xx code, got {code}")
        return cls(kind=FaultKind.REDIRECT, status_code=code, location=location, after_effect=after_effect)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "status": self.status_code,
            "retry_after": self.retry_after,
            "body": dict(self.body) if self.body is not None else None,
            "after_effect": self.after_effect,
            "seconds": self.seconds,
            "after_bytes": self.after_bytes,
            "edits": dict(self.edits) if self.edits is not None else None,
            "raw_body": self.raw_body,
            "content_type": self.content_type,
            "location": self.location,
        }


@dataclass(frozen=True, kw_only=True)
class FaultRule:
    """A fault on a route (``"GET /jobs/{jobId}"`` or ``"*"``) for the next ``times`` requests.

    With ``fraction`` each request is hit with that probability (drawn from the seeded generator);
    ``times`` then caps how many are hit. With neither, only the next request is hit.
    """

    fault: Fault
    route: str = ANY_ROUTE
    times: int | None = None
    fraction: float | None = None
    #: Requests on the route let through untouched before the fault starts hitting.
    skip: int = 0

    def __post_init__(self) -> None:
        check_route(self.route, wildcard=True)
        if self.skip < 0:
            raise ValueError(f"skip must be >= 0, got {self.skip}")
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be >= 1, got {self.times}")
        if self.fraction is not None and not 0 < self.fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {self.fraction}")
        if self.times is None and self.fraction is None:
            object.__setattr__(self, "times", 1)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """Parse the JSON form used by the control API and ``--fault-profile``.

        ``{"route": "GET /jobs/{jobId}", "kind": "status", "status": 503, "retry_after": 1,
        "times": 2}``; other keys: ``body``, ``after_effect``, ``seconds``, ``after_bytes``, ``fraction``.
        """
        known = {
            "route",
            "kind",
            "status",
            "retry_after",
            "body",
            "after_effect",
            "seconds",
            "after_bytes",
            "edits",
            "raw_body",
            "content_type",
            "location",
        }
        unknown = set(data) - known - {"times", "fraction", "skip"}
        if unknown:
            raise ValueError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        kind = FaultKind(data.get("kind", ""))
        fault: Fault
        if kind is FaultKind.STATUS:
            fault = Fault.status(
                int(data["status"]),
                retry_after=data.get("retry_after"),
                body=data.get("body"),
                after_effect=bool(data.get("after_effect", False)),
            )
        elif kind is FaultKind.DELAY:
            fault = Fault.delay(float(data["seconds"]))
        elif kind is FaultKind.RESET:
            fault = Fault.reset(after_effect=bool(data.get("after_effect", False)))
        elif kind is FaultKind.MALFORM:
            fault = Fault.malform(
                edits=data.get("edits"),
                raw_body=data.get("raw_body"),
                status=data.get("status"),
                content_type=data.get("content_type"),
            )
        elif kind is FaultKind.REDIRECT:
            fault = Fault.redirect(
                str(data["location"]),
                code=int(data.get("status") or 302),
                after_effect=bool(data.get("after_effect", False)),
            )
        else:
            fault = Fault.truncate(after_bytes=int(data["after_bytes"]))
        return cls(
            fault=fault,
            route=str(data.get("route", ANY_ROUTE)),
            times=data.get("times"),
            fraction=data.get("fraction"),
            skip=int(data.get("skip", 0)),
        )


@dataclass
class _Active:
    rule: FaultRule
    remaining: int | None
    skipped: int = 0


@dataclass
class FaultBook:
    """The active faults; thread-safe, consumed one request at a time."""

    seed: int
    _rules: list[_Active] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(f"faults:{self.seed}")

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(_Active(rule=rule, remaining=rule.times))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._rng = random.Random(f"faults:{self.seed}")

    def take(self, route: str) -> Fault | None:
        """The fault hitting this request on ``route``, if any (first injected wins)."""
        with self._lock:
            for active in self._rules:
                rule = active.rule
                if rule.route not in (route, ANY_ROUTE):
                    continue
                if active.skipped < rule.skip:
                    active.skipped += 1
                    continue
                if rule.fraction is not None and self._rng.random() >= rule.fraction:
                    continue
                if active.remaining is not None:
                    active.remaining -= 1
                    if active.remaining == 0:
                        self._rules.remove(active)
                return rule.fault
            return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "route": a.rule.route,
                    "remaining": a.remaining,
                    "fraction": a.rule.fraction,
                    **a.rule.fault.to_dict(),
                }
                for a in self._rules
            ]
