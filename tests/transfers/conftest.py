"""Real storage for the transfer tests: local files, S3 on a moto server, and a disk that fails.

S3 is a moto server on 127.0.0.1 (one per session) reached through the amazon provider's
``ObjectStoragePath`` filesystem exactly as users reach S3: an ``aws_default`` connection whose
``endpoint_url`` points at it. ``airflow.sdk.io.store._STORE_CACHE`` keeps one filesystem per
``protocol-conn_id`` for the whole process, so it is cleared around every test.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import fsspec
import pytest
import requests
from airflow.sdk.execution_time.context import OutletEventAccessors
from airflow.sdk.io import store
from fsspec.implementations.local import LocalFileOpener, LocalFileSystem
from moto.server import ThreadedMotoServer
from s3fs import S3File, S3FileSystem

from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.veo31 import MODEL_ID
from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator

FAILING_SCHEME = "failingdisk"
FAILING_S3_SCHEME = "failings3"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_store_cache() -> Iterator[None]:
    store._STORE_CACHE.clear()
    yield
    store._STORE_CACHE.clear()


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


class FailingDisk(LocalFileSystem):
    """A real local filesystem whose writes raise once ``fail_after`` bytes have been written.

    Registered under ``failingdisk://``; it stands for a destination that breaks mid-upload (disk
    full, network storage gone). Only the storage misbehaves: the operator's code is untouched.
    """

    protocol = (FAILING_SCHEME,)
    cachable = False  # fsspec would otherwise hand every test the same instance (and byte count)

    def __init__(self, *, fail_after: int) -> None:
        super().__init__()
        self.fail_after = fail_after
        self.written = 0

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        text = str(path)
        if text.startswith(f"{FAILING_SCHEME}://"):
            text = text[len(FAILING_SCHEME) + 3 :]
        return super()._strip_protocol(text)

    def _open(self, path: Any, mode: str = "rb", **kwargs: Any) -> Any:
        if "w" in mode:
            return _FailingWriter(self._strip_protocol(path), mode, fs=self)
        return super()._open(path, mode, **kwargs)


class _FailingWriter(LocalFileOpener):  # type: ignore[misc]
    def write(self, data: bytes) -> int:
        fs: FailingDisk = self.fs
        if fs.written + len(data) > fs.fail_after:
            raise OSError(28, "No space left on device")
        fs.written += len(data)
        return int(super().write(data))


@pytest.fixture
def failing_disk(tmp_path: Path) -> tuple[FailingDisk, Path]:
    """``(filesystem, root)``: ``failingdisk://<root>/...`` fails after 1 MiB has been written."""
    fsspec.register_implementation(FAILING_SCHEME, FailingDisk, clobber=True)
    disk = FailingDisk(fail_after=1 << 20)
    store.attach(protocol=FAILING_SCHEME, fs=disk)
    return disk, tmp_path


# --- the Scenario side ---------------------------------------------------------------------------------


@pytest.fixture
def emu(scenario_emulator_factory: Any) -> Iterator[ScenarioEmulator]:
    """An emulator whose jobs finish in 0.1 s; ``scenario_default`` points at it."""
    with scenario_emulator_factory(EmulatorConfig(job_duration=0.1)) as emulator:
        yield emulator


@pytest.fixture
def finished_job(emu: ScenarioEmulator) -> Callable[..., dict[str, Any]]:
    """Submit a Veo 3.1 job through the hook and return it once it succeeded."""

    def submit(**fields: Any) -> dict[str, Any]:
        body = {
            "prompt": "A red fox trotting through fresh snow at dawn",
            "negativePrompt": "blurry",
            "duration": 8,
            "seed": 42,
            "generateAudio": True,
            **fields,
        }
        job_id = ScenarioHook().run_model(MODEL_ID, body)["job"]["jobId"]
        deadline = time.monotonic() + 10
        while (job := emu.job(job_id))["status"] != "success":
            assert time.monotonic() < deadline, job["status"]
            time.sleep(0.02)
        return job

    return submit


@pytest.fixture
def reference_bytes(emu: ScenarioEmulator) -> Callable[[str], bytes]:
    """The asset's bytes as the CDN serves them, fetched independently of the code under test."""

    def fetch(asset_id: str) -> bytes:
        response = requests.get(ScenarioHook().get_download_url(asset_id), timeout=30)
        response.raise_for_status()
        return response.content

    return fetch


@pytest.fixture
def outlet_events() -> OutletEventAccessors:
    return OutletEventAccessors()


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
