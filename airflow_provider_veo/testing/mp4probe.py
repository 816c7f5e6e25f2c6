"""A tiny pure-Python MP4 (ISO BMFF) reader: frame size, duration, frame rate and tracks of a video.

Tests and the demo use it to check downloaded videos without ffmpeg. Only the ``moov`` box is read
into memory; the media data is skipped with ``seek``, so multi-gigabyte files are cheap to probe.

Example::

    info = probe_mp4("video.mp4")
    assert (info.width, info.height, info.fps) == (1280, 720, 24.0)
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

__all__ = ["Mp4Info", "probe_mp4"]

#: Box types an MP4 or QuickTime file may start with.
_FIRST_BOXES: Final = frozenset({b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin"})
_MAX_MOOV_SIZE: Final = 64 << 20


@dataclass(frozen=True)
class Mp4Info:
    """What :func:`probe_mp4` reads from an MP4's boxes.

    ``duration`` is in seconds, ``fps`` is the video track's mean frame rate, and the codecs are the
    sample entry types (``"avc1"``, ``"mp4a"``, ...).
    """

    width: int
    height: int
    duration: float
    fps: float
    has_audio: bool
    video_codec: str
    audio_codec: str | None


@dataclass(frozen=True)
class _TrackInfo:
    handler: bytes
    codec: str
    width: int
    height: int
    timescale: int
    sample_count: int
    sample_time: int  # sum of the stts sample durations, in timescale units

    @property
    def seconds(self) -> float:
        return self.sample_time / self.timescale


def probe_mp4(source: bytes | str | os.PathLike[str]) -> Mp4Info:
    """Read an MP4 from bytes or a file path. Raises :class:`ValueError` if it is not an MP4 with video."""
    if isinstance(source, bytes):
        return _probe(io.BytesIO(source), len(source))
    with open(source, "rb") as stream:
        return _probe(stream, os.fstat(stream.fileno()).st_size)


def _probe(stream: BinaryIO, size: int) -> Mp4Info:
    moov = _read_moov(stream, size)
    timescale, duration = _mvhd(_child(moov, b"mvhd"))
    tracks = [_track(trak) for kind, trak in _boxes(moov) if kind == b"trak"]
    video = next((track for track in tracks if track.handler == b"vide"), None)
    if video is None:
        raise ValueError("not a video: the MP4 has no video track")
    audio = next((track for track in tracks if track.handler == b"soun"), None)
    seconds = duration / timescale if duration and timescale else max(track.seconds for track in tracks)
    return Mp4Info(
        width=video.width,
        height=video.height,
        duration=seconds,
        fps=video.sample_count * video.timescale / video.sample_time if video.sample_time else 0.0,
        has_audio=audio is not None,
        video_codec=video.codec,
        audio_codec=audio.codec if audio else None,
    )


def _read_moov(stream: BinaryIO, size: int) -> bytes:
    """The ``moov`` payload, found by walking the top-level boxes and seeking over the others."""
    offset = 0
    while offset < size:
        kind, header, box_size = _box_header(stream, offset, size)
        if offset == 0 and kind not in _FIRST_BOXES:
            raise ValueError(f"not an MP4: it starts with {kind!r}, not an ftyp or moov box")
        if kind == b"moov":
            if box_size > _MAX_MOOV_SIZE:
                raise ValueError(f"MP4 moov box of {box_size} bytes is too large to probe")
            stream.seek(offset + header)
            return stream.read(box_size - header)
        offset += box_size
    raise ValueError("not an MP4: no moov box" if size else "not an MP4: the data is empty")


def _box_header(stream: BinaryIO, offset: int, size: int) -> tuple[bytes, int, int]:
    """(type, header length, box length) of the top-level box at ``offset`` of a ``size``-byte file."""
    stream.seek(offset)
    return _parse_header(stream.read(16), offset, size - offset)


def _parse_header(head: bytes, offset: int, room: int) -> tuple[bytes, int, int]:
    """(type, header length, box length) of the box starting with ``head``, ``room`` bytes before the end."""
    if len(head) < 8:
        raise ValueError(f"not an MP4: truncated box header at byte {offset}")
    box_size, kind = struct.unpack_from(">I4s", head)
    header = 8
    if box_size == 1:  # a 64-bit size follows the type
        if len(head) < 16:
            raise ValueError(f"not an MP4: truncated box header at byte {offset}")
        (box_size,) = struct.unpack_from(">Q", head, 8)
        header = 16
    elif box_size == 0:  # the box runs to the end
        box_size = room
    if not all(0x20 <= char < 0x7F for char in kind):
        raise ValueError(f"not an MP4: invalid box type {kind!r} at byte {offset}")
    if not header <= box_size <= room:
        raise ValueError(f"not an MP4: box {kind!r} at byte {offset} has an invalid size {box_size}")
    return kind, header, box_size


def _boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, payload) of each box in ``data`` (the payload of a box already in memory)."""
    offset = 0
    while offset < len(data):
        kind, header, box_size = _parse_header(data[offset : offset + 16], offset, len(data) - offset)
        yield kind, data[offset + header : offset + box_size]
        offset += box_size


def _child(data: bytes, *path: bytes) -> bytes:
    """The payload of the first box at ``path`` (e.g. ``b"mdia", b"mdhd"``) below ``data``."""
    for kind in path:
        found = next((payload for child, payload in _boxes(data) if child == kind), None)
        if found is None:
            raise ValueError(f"invalid MP4: missing {kind.decode('ascii')} box")
        data = found
    return data


def _unpack(layout: str, data: bytes, offset: int = 0) -> tuple[int, ...]:
    try:
        return struct.unpack_from(layout, data, offset)
    except struct.error as error:
        raise ValueError(f"invalid MP4: truncated box ({error})") from None


def _mvhd(payload: bytes) -> tuple[int, int]:
    """(timescale, duration) of an mvhd or mdhd box (versions 0 and 1)."""
    if payload[:1] == b"\x01":
        timescale, duration = _unpack(">IQ", payload, 20)
    else:
        timescale, duration = _unpack(">II", payload, 12)
    return timescale, duration


def _track(trak: bytes) -> _TrackInfo:
    tkhd = _child(trak, b"tkhd")
    width, height = (value >> 16 for value in _unpack(">II", tkhd, 88 if tkhd[:1] == b"\x01" else 76))
    timescale, _ = _mvhd(_child(trak, b"mdia", b"mdhd"))
    handler = _child(trak, b"mdia", b"hdlr")[8:12]
    stbl = _child(trak, b"mdia", b"minf", b"stbl")
    codec, entry = next(_boxes(_child(stbl, b"stsd")[8:]), (b"", b""))
    if handler == b"vide" and not (width and height):
        width, height = _unpack(">HH", entry, 24)  # the sample entry's coded size
    stts = _child(stbl, b"stts")
    (entries,) = _unpack(">I", stts, 4)
    pairs = _unpack(f">{2 * entries}I", stts, 8)
    return _TrackInfo(
        handler=handler,
        codec=codec.decode("ascii"),
        width=width,
        height=height,
        timescale=timescale or 1,
        sample_count=sum(pairs[0::2]),
        sample_time=sum(count * delta for count, delta in zip(pairs[0::2], pairs[1::2], strict=True)),
    )
