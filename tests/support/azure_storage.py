"""Azure Blob for the transfer tests: Azurite on 127.0.0.1, reached as users reach Azure.

One Azurite blob server per session (npm, installed into .tools/ by scripts/setup-system.sh),
reached through the azure provider's ``ObjectStoragePath`` filesystem (adlfs, ``abfs://``; the
provider registers no ``wasb://`` filesystem): an ``azure_emu`` connection holding Azurite's
well-known development connection string. Needs apache-airflow-providers-microsoft-azure.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from adlfs.spec import AzureBlobFile
from azure.storage.blob import BlobServiceClient, ContainerClient

from tests.support.local_servers import child_server
from tests.support.object_store import ObjectStore

AZURITE = Path(__file__).parents[2] / ".tools/node_modules/.bin/azurite-blob"
#: Azurite's fixed development account (public, documented by Microsoft).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture(scope="session")
def azurite_connection_string(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not AZURITE.exists():
        raise RuntimeError(f"{AZURITE} is missing: `make setup` installs Azurite")
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    data = tmp_path_factory.mktemp("azurite")

    def command(port: int) -> list[str | Path]:
        return [
            AZURITE, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", data,
            "--skipApiVersionCheck", "--disableTelemetry", "--silent", "--loose",
        ]  # fmt: skip

    with child_server(command, name="Azurite") as endpoint:
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={endpoint}/{ACCOUNT};"
        )


class AzureContainer(ObjectStore):
    """A fresh container on Azurite, looked at with the Azure SDK."""

    scheme = "abfs"
    writer_class = AzureBlobFile
    #: adlfs cannot abort an upload: Azure has no call that drops uncommitted blocks. They are no
    #: blob, and go when the next upload to that name commits, or after 7 days.
    keeps_aborted_blocks = True

    def __init__(self, *, name: str, conn_id: str, client: ContainerClient) -> None:
        super().__init__(name=name, conn_id=conn_id)
        self.client = client

    def keys(self) -> list[str]:
        return sorted(blob.name for blob in self.client.list_blobs())

    def read(self, key: str) -> bytes:
        return self.client.download_blob(key).readall()

    def put(self, key: str, data: bytes) -> None:
        self.client.upload_blob(key, data, overwrite=True)

    def delete(self, key: str) -> None:
        self.client.delete_blob(key)

    def pending_uploads(self) -> list[str]:
        return sorted(
            blob.name
            for blob in self.client.list_blobs(include=["uncommittedblobs"])
            if self.client.get_blob_client(blob.name).get_block_list("uncommitted")[1]
        )


@pytest.fixture
def azure_container(azurite_connection_string: str, monkeypatch: pytest.MonkeyPatch) -> AzureContainer:
    monkeypatch.setenv(
        "AIRFLOW_CONN_AZURE_EMU",
        json.dumps({"conn_type": "wasb", "extra": {"connection_string": azurite_connection_string}}),
    )
    client = BlobServiceClient.from_connection_string(azurite_connection_string).create_container(
        f"videos-{uuid.uuid4().hex[:12]}"
    )
    return AzureContainer(name=client.container_name, conn_id="azure_emu", client=client)
