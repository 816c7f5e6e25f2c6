"""S3 for the transfer tests: a moto server on 127.0.0.1, reached as users reach S3.

One moto server per session, reached through the amazon provider's ``ObjectStoragePath`` filesystem:
an ``aws_default`` connection whose ``endpoint_url`` points at it. Needs
apache-airflow-providers-amazon (Python 3.11+); conftest.py imports these fixtures when it is there.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import fsspec
import pytest
from airflow.sdk.io import store
from moto.server import ThreadedMotoServer
from s3fs import S3File, S3FileSystem

FAILING_S3_SCHEME = "failings3"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class S3Bucket:
    """A fresh bucket on the moto server, and a boto3 client to look at it behind our back."""

    name: str
    client: Any

    def uri(self, key: str = "") -> str:
        return f"s3://{self.name}/{key}"

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return body

    def pending_uploads(self) -> list[str]:
        uploads = self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])
        return [upload["Key"] for upload in uploads]


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {"endpoint_url": moto_endpoint, "region_name": "us-east-1"},
            }
        ),
    )
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = f"videos-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return S3Bucket(name=name, client=client)


class FailingS3(S3FileSystem):
    """Real s3fs on the moto server whose uploads are refused from the second multipart part on.

    Registered under ``failings3://``; it stands for S3 failing mid-upload (throttling, expired
    credentials, network loss) after some parts were already accepted.
    """

    protocol = (FAILING_S3_SCHEME,)
    cachable = False

    def _open(self, path: Any, mode: str = "rb", **kwargs: Any) -> Any:
        file = super()._open(path, mode, **kwargs)
        if "w" in mode:
            file.__class__ = _FailingS3File
        return file


class _FailingS3File(S3File):  # type: ignore[misc]
    def _upload_chunk(self, final: bool = False) -> Any:
        if getattr(self, "parts", None):
            raise OSError("S3 refused the upload part")
        return super()._upload_chunk(final)


@pytest.fixture
def failing_s3(moto_endpoint: str, s3_bucket: S3Bucket) -> S3Bucket:
    """``failings3://<bucket>/...`` writes into ``s3_bucket`` and fails on the second part."""
    fsspec.register_implementation(FAILING_S3_SCHEME, FailingS3, clobber=True)
    fs = FailingS3(
        key="testing",
        secret="testing",
        endpoint_url=moto_endpoint,
        client_kwargs={"region_name": "us-east-1"},
    )
    store.attach(protocol=FAILING_S3_SCHEME, fs=fs)
    return s3_bucket
