"""Where an asset's bytes come from: held bytes, a generated MP4, or a huge synthetic MP4 streamed.

Every content knows its exact size once :meth:`Content.load` ran and yields any byte range.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from airflow_provider_veo.testing.emulator.media import (
    build_mp4,
    synthetic_mp4_min_size,
    synthetic_mp4_slice,
)

CHUNK_SIZE = 1 << 20


class Content(Protocol):
    mime_type: str

    async def load(self) -> None:
        """Make :attr:`size` known (may build the bytes, off the event loop)."""

    @property
    def size(self) -> int: ...

    @property
    def etag(self) -> str: ...

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive, in chunks."""


class _HeldBytes:
    """Size, ETag and ranges of content whose bytes are in memory (:meth:`_held`)."""

    def _held(self) -> bytes:
        raise NotImplementedError

    @property
    def size(self) -> int:
        return len(self._held())

    @property
    def etag(self) -> str:
        return hashlib.md5(self._held(), usedforsecurity=False).hexdigest()

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        view = memoryview(self._held())
        for offset in range(start, end + 1, CHUNK_SIZE):
            yield bytes(view[offset : min(offset + CHUNK_SIZE, end + 1)])


@dataclass
class BytesContent(_HeldBytes):
    """Bytes held in memory (uploads, images)."""

    data: bytes
    mime_type: str

    async def load(self) -> None:
        return None

    def _held(self) -> bytes:
        return self.data


_VideoKey = tuple[int, int, float, bool]
_built: dict[_VideoKey, bytes] = {}


@dataclass
class GeneratedVideo(_HeldBytes):
    """The MP4 of a finished job, built on first use and shared by every job with the same shape."""

    width: int
    height: int
    duration: float
    audio: bool
    mime_type: str = "video/mp4"
    _data: bytes | None = field(default=None, repr=False)

    async def load(self) -> None:
        if self._data is not None:
            return
        key = (self.width, self.height, self.duration, self.audio)
        data = _built.get(key)
        if data is None:
            data = await asyncio.get_running_loop().run_in_executor(None, self._build)
            _built[key] = data
        self._data = data

    def _build(self) -> bytes:
        return build_mp4(width=self.width, height=self.height, duration=self.duration, audio=self.audio)

    def _held(self) -> bytes:
        if self._data is None:
            raise RuntimeError("GeneratedVideo.load() must run first")
        return self._data


@dataclass
class SyntheticVideo:
    """A valid MP4 padded to exactly ``size`` bytes, generated while it is sent (never held)."""

    total: int
    mime_type: str = "video/mp4"

    def __post_init__(self) -> None:
        minimum = synthetic_mp4_min_size()
        if self.total < minimum:
            raise ValueError(f"a synthetic video needs at least {minimum} bytes, got {self.total}")

    async def load(self) -> None:
        return None

    @property
    def size(self) -> int:
        return self.total

    @property
    def etag(self) -> str:
        return hashlib.md5(f"synthetic:{self.total}".encode(), usedforsecurity=False).hexdigest()

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        for offset in range(start, end + 1, CHUNK_SIZE):
            yield synthetic_mp4_slice(self.total, offset, min(offset + CHUNK_SIZE, end + 1))
