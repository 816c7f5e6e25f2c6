"""S3 for the transfer tests: a moto server on 127.0.0.1, reached as users reach S3.

One moto server per session, in its own process (so that what it stores does not count in the
test's memory), reached through the amazon provider's ``ObjectStoragePath`` filesystem: an
``aws_default`` connection whose ``endpoint_url`` points at it. Needs
apache-airflow-providers-amazon (Python 3.11+); the conftest files import these fixtures when it is
there.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from s3fs import S3File

from tests.support.local_servers import child_server
from tests.support.object_store import ObjectStore


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with child_server(
        lambda port: [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], name="moto"
    ) as endpoint:
        yield endpoint


class S3Bucket(ObjectStore):
    """A fresh bucket on the moto server, and a boto3 client to look at it behind our back."""

    scheme = "s3"
    writer_class = S3File

    def __init__(self, *, name: str, conn_id: str, client: Any) -> None:
        super().__init__(name=name, conn_id=conn_id)
        self.client = client

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return body

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)

    def pending_uploads(self) -> list[str]:
        uploads = self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])
        return sorted(upload["Key"] for upload in uploads)


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
    return S3Bucket(name=name, conn_id="aws_default", client=client)
