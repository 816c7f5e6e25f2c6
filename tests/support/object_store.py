"""What the transfer tests need from a bucket, whatever the store: S3, GCS or Azure Blob.

Each store module (s3_storage.py, gcs_storage.py, azure_storage.py) runs a real server on loopback
and gives a fresh bucket per test. The code under test reaches it through the store's Airflow
provider (``ObjectStoragePath`` with a connection); the test looks at it with the store's own
client, behind the provider's back.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar
from unittest import mock

from airflow.sdk import ObjectStoragePath


class ObjectStore(ABC):
    """A fresh bucket (container on Azure) on a local server."""

    #: URI scheme of the provider's filesystem (``s3``, ``gs``, ``abfs``).
    scheme: ClassVar[str]
    #: The fsspec file class that uploads in blocks (``S3File``, ``GCSFile``, ``AzureBlobFile``).
    writer_class: ClassVar[type[Any]]
    #: Whether a failed upload leaves its uploaded blocks behind (see ``pending_uploads``).
    keeps_aborted_blocks: ClassVar[bool] = False

    def __init__(self, *, name: str, conn_id: str) -> None:
        self.name = name
        #: Airflow connection reaching the server (set in the environment by the fixture).
        self.conn_id = conn_id

    def uri(self, key: str = "") -> str:
        """``<scheme>://<bucket>/<key>``, as the operator returns it (no connection id)."""
        return f"{self.scheme}://{self.name}/{key}"

    def path(self, key: str) -> ObjectStoragePath:
        return ObjectStoragePath(self.uri(key), conn_id=self.conn_id)

    @abstractmethod
    def keys(self) -> list[str]:
        """Names of the objects readers can see, sorted."""

    @abstractmethod
    def read(self, key: str) -> bytes: ...

    @abstractmethod
    def put(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def pending_uploads(self) -> list[str]:
        """Names holding uploaded data that is not an object: S3 multipart uploads, GCS resumable
        sessions, Azure uncommitted blocks. Sorted."""


@contextmanager
def refusing_blocks_after_the_first(store: ObjectStore) -> Iterator[None]:
    """Within the block, the store refuses every block of an upload after the first one.

    It stands for the store failing mid-upload (throttling, expired credentials, network loss) after
    some data was already accepted. Only the storage client's block upload is replaced; the code
    under test is untouched.
    """
    upload_block = store.writer_class._upload_chunk

    def refusing(writer: Any, final: bool = False) -> Any:
        if getattr(writer, "_blocks_accepted", False):
            raise OSError(f"{store.scheme} refused the upload block")
        result = upload_block(writer, final)
        writer._blocks_accepted = True
        return result

    with mock.patch.object(store.writer_class, "_upload_chunk", refusing):
        yield
