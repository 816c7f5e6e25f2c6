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
from typing import Any

from airflow_provider_veo.testing.emulator.route_keys import ANY_ROUTE, check_route


class FaultKind(str, Enum):
    STATUS = "status"
    DELAY = "delay"
    RESET = "reset"
    TRUNCATE = "truncate"


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
    def reset(cls) -> Fault:
        """Close the TCP connection (RST) without answering."""
        return cls(kind=FaultKind.RESET)

    @classmethod
    def truncate(cls, *, after_bytes: int) -> Fault:
        """Send the headers with the full ``Content-Length``, then ``after_bytes`` of the body, then close."""
        if after_bytes < 0:
            raise ValueError(f"after_bytes must be >= 0, got {after_bytes}")
        return cls(kind=FaultKind.TRUNCATE, after_bytes=after_bytes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "status": self.status_code,
            "retry_after": self.retry_after,
            "body": dict(self.body) if self.body is not None else None,
            "after_effect": self.after_effect,
            "seconds": self.seconds,
            "after_bytes": self.after_bytes,
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

    def __post_init__(self) -> None:
        check_route(self.route, wildcard=True)
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
        known = {"route", "kind", "status", "retry_after", "body", "after_effect", "seconds", "after_bytes"}
        unknown = set(data) - known - {"times", "fraction"}
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
            fault = Fault.reset()
        else:
            fault = Fault.truncate(after_bytes=int(data["after_bytes"]))
        return cls(
            fault=fault,
            route=str(data.get("route", ANY_ROUTE)),
            times=data.get("times"),
            fraction=data.get("fraction"),
        )


@dataclass
class _Active:
    rule: FaultRule
    remaining: int | None


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
