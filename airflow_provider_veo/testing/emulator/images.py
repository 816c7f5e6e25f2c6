"""Small real images for tests, and recognising the image formats ``POST /assets`` accepts."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_png(width: int, height: int, *, rgb: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    """A valid PNG of one colour, ``width`` x ``height`` pixels (deterministic, compresses well).

    >>> make_png(2, 1)[:8] == _PNG_SIGNATURE
    True
    """
    if width < 1 or height < 1:
        raise ValueError(f"width and height must be >= 1, got {width}x{height}")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        _PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class ImageInfo:
    mime_type: str
    width: int | None = None
    height: int | None = None


def sniff_image(data: bytes) -> ImageInfo | None:
    """The image type (and PNG/GIF size) from the magic bytes; ``None`` when it is not an image."""
    if data.startswith(_PNG_SIGNATURE) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("image/png", width, height)
    if data.startswith(b"\xff\xd8\xff"):
        return ImageInfo("image/jpeg")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return ImageInfo("image/gif", width, height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageInfo("image/webp")
    if data[4:12] in (b"ftypavif", b"ftypheic", b"ftypheix", b"ftypmif1"):
        return ImageInfo("image/avif" if data[8:12] == b"avif" else "image/heic")
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return ImageInfo("image/tiff")
    if data.lstrip()[:5] in (b"<svg ", b"<?xml"):
        return ImageInfo("image/svg+xml")
    return None
