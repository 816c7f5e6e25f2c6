"""Write an object so that its final name shows the whole object or nothing, never a part of it.

Two strategies, chosen from the destination's filesystem:

* **Uploads invisible until committed** - S3 (s3fs), GCS (gcsfs), Azure Blob (adlfs). The object
  is written at its final name: parts of an S3 multipart upload, a GCS resumable upload or staged
  Azure blocks are not an object until the writer is closed (``CompleteMultipartUpload`` / the
  final request / ``Put Block List``), which replaces any previous object in one step. On failure
  the upload is aborted (``discard()``), so the final name keeps its previous state. No copy is
  needed: a server-side copy of a temporary object would double the time on S3 (see
  docs/transfers.md).
* **Everything else** (local files, and any other fsspec filesystem) - the bytes go to a hidden
  sibling ``.<name>.partial-<uuid>`` which is renamed to the final name once complete. On POSIX a
  rename within a directory is atomic and replaces an existing file. On failure the sibling is
  deleted.

Only the local and S3 strategies are exercised by this provider's tests (GCS and Azure follow the
documented behaviour of their upload APIs).
"""

from __future__ import annotations

import logging
import uuid
from types import TracebackType
from typing import IO, Any, Final

from airflow.sdk import ObjectStoragePath
from fsspec.implementations.local import LocalFileSystem
from fsspec.spec import AbstractBufferedFile

log = logging.getLogger(__name__)

#: Marker in the names of temporary siblings; anything carrying it is an unfinished transfer.
PARTIAL_MARKER: Final = ".partial-"
#: fsspec filesystems whose uploads stay invisible until the writer is closed (by class name, so that
#: none of s3fs, gcsfs or adlfs has to be installed).
INVISIBLE_UPLOAD_FILESYSTEMS: Final = frozenset({"S3FileSystem", "GCSFileSystem", "AzureBlobFileSystem"})


def uploads_are_invisible(fs: Any) -> bool:
    """Whether an object written on ``fs`` only becomes visible, whole, when its writer is closed."""
    return any(cls.__name__ in INVISIBLE_UPLOAD_FILESYSTEMS for cls in type(fs).__mro__)


class StagedObject:
    """An object being written; readers see it at its final name only after :meth:`publish`.

    >>> with StagedObject(ObjectStoragePath("file:///tmp/out/video.mp4")) as staged:  # doctest: +SKIP
    ...     staged.write(b"...")
    ...     staged.publish()

    Leaving the ``with`` block without :meth:`publish` (an exception included) calls :meth:`abandon`.
    Writes go through the connection-aware filesystem of ``final`` (``ObjectStoragePath.fs``).
    """

    def __init__(self, final: ObjectStoragePath, *, block_size: int | None = None) -> None:
        self.final = final
        self._fs: Any = final.fs  # fsspec is untyped
        self._is_local = isinstance(self._fs, LocalFileSystem)
        self.direct = uploads_are_invisible(self._fs)
        #: Where the bytes are written: the final name itself, or a hidden sibling renamed at the end.
        self.target = (
            final if self.direct else final.with_name(f".{final.name}{PARTIAL_MARKER}{uuid.uuid4().hex}")
        )
        self._block_size = block_size
        self._writer: IO[bytes] | None = None
        self._published = False

    def __enter__(self) -> StagedObject:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._published:
            self.abandon()

    def open(self) -> None:
        """Open the writer (creating local parent directories)."""
        if self._is_local:
            self._fs.makedirs(self.target.parent.path, exist_ok=True)
        options: dict[str, Any] = {"block_size": self._block_size} if self._block_size else {}
        self._writer = self._fs.open(self.target.path, "wb", **options)

    def write(self, data: bytes, /) -> int:
        """Append ``data`` to the object being written."""
        if self._writer is None:
            raise RuntimeError("StagedObject.open() must be called before write()")
        self._writer.write(data)
        return len(data)

    def restart(self) -> None:
        """Throw away what was written and start again from byte 0."""
        self._discard_writer()
        self.open()

    def publish(self) -> None:
        """Commit the object and make it visible under its final name in one step."""
        if self._writer is None:
            raise RuntimeError("StagedObject.open() must be called before publish()")
        self._writer.close()
        self._writer = None
        if not self.direct:
            self._fs.mv(self.target.path, self.final.path)
        self._fs.invalidate_cache(self.final.path)
        self._published = True

    def abandon(self) -> None:
        """Abort the upload or delete the temporary sibling. Never raises: it runs on error paths."""
        try:
            self._discard_writer()
        except Exception:
            log.warning("Could not discard the upload of %s.", self.target, exc_info=True)
        if self.direct:
            return  # nothing was committed; the final name keeps what it had
        try:
            self._fs.rm_file(self.target.path)
        except FileNotFoundError:
            pass
        except Exception:
            log.warning(
                "Could not delete the temporary object %s; delete it by hand.", self.target, exc_info=True
            )

    def _discard_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        if isinstance(writer, AbstractBufferedFile):
            # close() (also called on garbage collection) would commit the partial upload: abort it.
            try:
                writer.discard()
            finally:
                writer.closed = True
        else:
            writer.close()


def write_atomically(final: ObjectStoragePath, data: bytes) -> None:
    """Write a small object (e.g. a JSON sidecar) so that it appears whole or not at all."""
    with StagedObject(final) as staged:
        staged.write(data)
        staged.publish()
