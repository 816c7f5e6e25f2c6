"""HTTP ``Range: bytes=...`` requests (RFC 9110 §14), decided apart from any I/O.

Only one range per request is served: a multi-range request is answered with the whole body, which
the RFC allows and browsers' media players never need otherwise.

>>> parse_range("bytes=0-99", size=1000)
ByteRange(start=0, end=99)
>>> parse_range("bytes=-100", size=1000)
ByteRange(start=900, end=999)
>>> parse_range(None, size=1000) is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_SINGLE_RANGE: Final = re.compile(r"bytes=(\d*)-(\d*)")


class RangeNotSatisfiableError(ValueError):
    """The range starts at or beyond the end of the body: answer ``416`` with ``bytes */<size>``."""

    def __init__(self, size: int) -> None:
        super().__init__(f"Range not satisfiable for a body of {size} bytes")
        self.size = size


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` of a body, both included."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, *, size: int) -> ByteRange | None:
    """The range to serve, or ``None`` for the whole body (no header, a malformed one, several ranges).

    Raises :class:`RangeNotSatisfiableError` when the range lies wholly beyond the body.
    """
    if not header:
        return None
    match = _SINGLE_RANGE.fullmatch(header.strip().replace(" ", ""))
    if match is None:
        return None  # malformed or multi-range: a server may ignore Range and send everything
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiableError(size)
        return ByteRange(start=max(size - suffix, 0), end=size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # invalid: ignored
    if start >= size:
        raise RangeNotSatisfiableError(size)
    end = min(int(last), size - 1) if last else size - 1
    return ByteRange(start=start, end=end)
