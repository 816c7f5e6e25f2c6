"""Write an object under a hidden temporary name, then publish it under its final name in one step.

Readers never see a half-written object at the final name:

* ``file://`` - the temporary file sits in the same directory and is published with ``rename``,
  which is atomic on POSIX (it replaces an existing file in one step).
* ``s3://`` - the temporary object is a multipart upload that only exists once completed; it is
  published with a server-side ``CopyObject`` (multipart copy above 5 GB, also all-or-nothing) and
  the temporary object is then deleted.
* ``gs://`` / ``abfs://`` - the same scheme through gcsfs / adlfs ``mv`` (server-side copy, then
  delete); not exercised by this provider's tests.

On failure the writer is discarded (an S3 multipart upload is aborted, a GCS resumable upload
cancelled) and the temporary object deleted; nothing is ever written at the final name.
"""

from __future__ import annotations

import logging
import uuid
from types import TracebackType
from typing import IO, Any

from airflow.sdk import ObjectStoragePath
from fsspec.implementations.local import LocalFileSystem
from fsspec.spec import AbstractBufferedFile

log = logging.getLogger(__name__)

#: Marker in the names of temporary objects; anything carrying it is an unfinished transfer.
PARTIAL_MARKER = ".partial-"


class StagedObject:
    """An object being written under a temporary sibling name until :meth:`publish`.

    >>> with StagedObject(ObjectStoragePath("file:///tmp/out/video.mp4")) as staged:  # doctest: +SKIP
    ...     staged.write(b"...")
    ...     staged.publish()

    Leaving the ``with`` block without :meth:`publish` (an exception included) calls :meth:`abandon`.
    Writes go through the connection-aware filesystem of ``final`` (``ObjectStoragePath.fs``).
    """

    def __init__(self, final: ObjectStoragePath, *, block_size: int | None = None) -> None:
        self.final = final
        self.temp = final.with_name(f".{final.name}{PARTIAL_MARKER}{uuid.uuid4().hex}")
        self._block_size = block_size
        self._fs: Any = final.fs  # fsspec is untyped
        self._is_local = isinstance(self._fs, LocalFileSystem)
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
        """Open the temporary object for writing (creating local parent directories)."""
        if self._is_local:
            self._fs.makedirs(self.temp.parent.path, exist_ok=True)
        options: dict[str, Any] = {"block_size": self._block_size} if self._block_size else {}
        self._writer = self._fs.open(self.temp.path, "wb", **options)

    def write(self, data: bytes, /) -> int:
        """Append ``data`` to the temporary object."""
        if self._writer is None:
            raise RuntimeError("StagedObject.open() must be called before write()")
        self._writer.write(data)
        return len(data)

    def restart(self) -> None:
        """Throw away what was written and start the temporary object again from byte 0."""
        self._discard_writer()
        self.open()

    def publish(self) -> None:
        """Finish the temporary object and move it to the final name in one step."""
        if self._writer is None:
            raise RuntimeError("StagedObject.open() must be called before publish()")
        self._writer.close()
        self._writer = None
        self._fs.mv(self.temp.path, self.final.path)
        self._fs.invalidate_cache(self.final.path)
        self._published = True

    def abandon(self) -> None:
        """Discard the writer and delete the temporary object. Never raises: it runs on error paths."""
        try:
            self._discard_writer()
        except Exception:
            log.warning("Could not discard the upload of %s.", self.temp, exc_info=True)
        try:
            self._fs.rm_file(self.temp.path)
        except FileNotFoundError:
            pass
        except Exception:
            log.warning(
                "Could not delete the temporary object %s; delete it by hand.", self.temp, exc_info=True
            )

    def _discard_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        if isinstance(writer, AbstractBufferedFile):
            # close() would commit the partial upload: abort it (S3 multipart, GCS resumable) instead.
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
