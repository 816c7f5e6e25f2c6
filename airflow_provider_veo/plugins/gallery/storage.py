"""Reading landed videos and their sidecars from object storage, for the gallery (api-server only).

Every path here comes from a recorded asset URI (see ``catalog``), never from a request. Videos are
streamed in ``CHUNK_SIZE`` pieces from the requested offset (a ranged read on S3/GCS/Azure, a seek
on local files), so memory does not grow with the video and private buckets work through the
connection the api-server is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from airflow.sdk import ObjectStoragePath

from airflow_provider_veo.plugins.gallery.byte_ranges import ByteRange
from airflow_provider_veo.transfers.sidecar import SUFFIX

CHUNK_SIZE: Final = 256 * 1024
#: The largest sidecar read; a bigger object at ``<video>.json`` is not ours.
MAX_SIDECAR_BYTES: Final = 1024 * 1024


class StorageUnreadableError(RuntimeError):
    """The store of a video cannot be read from the api-server; the message says why, for people."""


@dataclass(frozen=True)
class OpenedVideo:
    """A video found in its store: its filesystem, path and size."""

    fs: Any  # fsspec is untyped
    path: str
    size: int


def storage_conn_id(uri: str, *, configured: Mapping[str, str], rendered: Mapping[str, Any]) -> str | None:
    """The Airflow connection to read ``uri`` with.

    First the gallery's configured ``{uri prefix: conn id}`` (longest prefix wins), so an operator can
    give the api-server a read-only connection; else the connection the transfer task wrote with
    (its rendered ``dest_conn_id``, or the ``conn_id@`` of its rendered ``destination``); else ``None``:
    the store's default credentials.

    >>> storage_conn_id("s3://b/v.mp4", configured={"s3://b/": "ro"}, rendered={"dest_conn_id": "rw"})
    'ro'
    >>> storage_conn_id("s3://b/v.mp4", configured={}, rendered={"destination": "s3://rw@b/"})
    'rw'
    """
    matches = [prefix for prefix in configured if uri.startswith(prefix)]
    if matches:
        return configured[max(matches, key=len)] or None
    if rendered.get("dest_conn_id"):
        return str(rendered["dest_conn_id"])
    destination = rendered.get("destination")
    if isinstance(destination, str) and "://" in destination:
        authority = destination.split("://", 1)[1].split("/", 1)[0]
        if "@" in authority:
            return authority.split("@", 1)[0] or None
    return None


def open_video(uri: str, conn_id: str | None) -> OpenedVideo:
    """Find the video at ``uri``; :class:`StorageUnreadableError` says why it cannot be read."""
    try:
        path = ObjectStoragePath(uri, conn_id=conn_id)
        fs: Any = path.fs
        return OpenedVideo(fs=fs, path=path.path, size=int(fs.size(path.path)))
    except FileNotFoundError:
        raise StorageUnreadableError(f"The video is no longer in its store ({uri}).") from None
    except ImportError as error:
        raise StorageUnreadableError(
            f"The api-server cannot open {uri.split('://', 1)[0]}:// URIs: install the provider of "
            f"that store on it ({error})."
        ) from None
    except Exception as error:
        raise StorageUnreadableError(_describe(error, uri, conn_id)) from None


def read_sidecar(uri: str, conn_id: str | None) -> dict[str, Any]:
    """The JSON sidecar of the video at ``uri``; :class:`StorageUnreadableError` says why not."""
    sidecar_uri = uri + SUFFIX
    try:
        path = ObjectStoragePath(sidecar_uri, conn_id=conn_id)
        fs: Any = path.fs
        with fs.open(path.path, "rb") as handle:
            raw = handle.read(MAX_SIDECAR_BYTES + 1)
    except FileNotFoundError:
        raise StorageUnreadableError("No metadata file (sidecar) next to the video.") from None
    except ImportError as error:
        raise StorageUnreadableError(f"The api-server cannot open this store: {error}.") from None
    except Exception as error:
        raise StorageUnreadableError(_describe(error, sidecar_uri, conn_id)) from None
    if len(raw) > MAX_SIDECAR_BYTES:
        raise StorageUnreadableError("The metadata file (sidecar) is too large to be ours.")
    try:
        record = json.loads(raw)
    except ValueError:
        raise StorageUnreadableError("The metadata file (sidecar) is not valid JSON.") from None
    if not isinstance(record, dict):
        raise StorageUnreadableError("The metadata file (sidecar) is not a JSON object.")
    return record


def iter_bytes(video: OpenedVideo, byte_range: ByteRange | None) -> Iterator[bytes]:
    """The bytes of ``byte_range`` (or the whole video), ``CHUNK_SIZE`` at a time."""
    start, remaining = (byte_range.start, byte_range.length) if byte_range else (0, video.size)
    # No read-ahead cache beyond one chunk: each read becomes one ranged request on object stores.
    with video.fs.open(video.path, "rb", block_size=CHUNK_SIZE, cache_type="none") as handle:
        handle.seek(start)
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                return  # the object shrank under us: the client sees a short body
            remaining -= len(chunk)
            yield chunk


def _describe(error: Exception, uri: str, conn_id: str | None) -> str:
    via = f"connection {conn_id!r}" if conn_id else "the store's default credentials"
    reason = type(error).__name__
    if isinstance(error, PermissionError):
        reason = "access denied"
    return f"The api-server cannot read {uri} with {via} ({reason})."
