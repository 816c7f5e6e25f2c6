"""Pieces of ``ScenarioHook.upload_image`` that involve no HTTP: the image source and the part plan.

A source is a local path, an ``ObjectStoragePath`` (or its URI string: ``file://``, ``s3://``, ...)
or bytes. Its content type comes from the file extension, else from the first bytes ("magic").
Scenario takes images below :data:`SMALL_UPLOAD_LIMIT` as base64 in ``POST /assets``; larger ones go
through the multipart ``/uploads`` flow, read part by part so a large file is never held whole.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from airflow.sdk import ObjectStoragePath

from airflow_provider_veo.exceptions import InvalidParameterError

SMALL_UPLOAD_LIMIT = 6_000_000
"""Images strictly smaller than this many bytes are sent base64-encoded to ``POST /assets`` ("< 6 MB")."""
MIN_PART_SIZE = 5 * 1024 * 1024
"""Every part but the last must be at least 5 MiB (S3 multipart rule)."""
MAX_PARTS = 10_000

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": "image/heic",
}
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/svg+xml": ".svg",
    "image/webp": ".webp",
    "image/avif": ".avif",
    "image/tiff": ".tiff",
    "image/heic": ".heic",
}
_SNIFF_BYTES = 512


def sniff_content_type(head: bytes) -> str | None:
    """The image type announced by the first bytes of a file, if it is a supported one."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in {b"avif", b"avis"}:
            return "image/avif"
        if brand in {b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"}:
            return "image/heic"
    text = head.lstrip().lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "image/svg+xml"
    return None


@dataclass(frozen=True)
class ImageSource:
    """An image to upload: its file name, size, content type and a way to open it for reading."""

    name: str
    size: int
    content_type: str
    opener: Callable[[], BinaryIO]

    def open(self) -> BinaryIO:
        return self.opener()


def image_source(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> ImageSource:
    """Describe ``source`` (local path, ``ObjectStoragePath`` or its URI, or bytes) for an upload.

    :raises InvalidParameterError: when the source is empty or not a supported image type.
    """
    opener: Callable[[], BinaryIO]
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        size, default_name = len(data), None

        def opener() -> BinaryIO:
            return io.BytesIO(data)

    elif isinstance(source, ObjectStoragePath) or (isinstance(source, str) and "://" in source):
        remote = source if isinstance(source, ObjectStoragePath) else ObjectStoragePath(source)
        size, default_name = int(remote.size()), remote.name

        def opener() -> BinaryIO:
            return cast("BinaryIO", remote.open("rb"))  # type: ignore[no-untyped-call]  # universal_pathlib

    else:
        local = Path(source)
        size, default_name = local.stat().st_size, local.name

        def opener() -> BinaryIO:
            return local.open("rb")

    if size == 0:
        raise InvalidParameterError("source", name or default_name or "<bytes>", "the image is empty")
    file_name = name or default_name
    content_type = CONTENT_TYPES.get(PurePosixPath(file_name).suffix.lower()) if file_name else None
    if content_type is None:
        with opener() as stream:
            content_type = sniff_content_type(stream.read(_SNIFF_BYTES))
    if content_type is None:
        raise InvalidParameterError(
            "source",
            file_name or "<bytes>",
            "not a supported image (jpeg, png, gif, svg, webp, avif, tiff, heic); "
            "name it with its extension if the type is right",
        )
    return ImageSource(
        name=file_name or f"image{_EXTENSIONS[content_type]}",
        size=size,
        content_type=content_type,
        opener=opener,
    )


def plan_parts(size: int) -> tuple[int, int]:
    """``(part_size, part_count)`` for a multipart upload of ``size`` bytes.

    Parts are equal (the last one shorter), at least :data:`MIN_PART_SIZE` and at most
    :data:`MAX_PARTS` of them: equal split and fixed-size split then agree.
    """
    count = min(max(size // MIN_PART_SIZE, 1), MAX_PARTS)
    part_size = math.ceil(size / count)
    return part_size, math.ceil(size / part_size)


def read_exactly(stream: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes (fewer only at the end of the stream)."""
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
