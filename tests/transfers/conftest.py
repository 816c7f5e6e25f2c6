"""Real storage for the transfer tests: local files, a failing disk, and S3, GCS and Azure Blob on local
servers (tests/support/s3_storage.py, gcs_storage.py, azure_storage.py).

``airflow.sdk.io.store._STORE_CACHE`` keeps one filesystem per ``protocol-conn_id`` for the whole
process, so it is cleared around every test.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
import requests
from airflow.sdk.execution_time.context import OutletEventAccessors
from airflow.sdk.io import store
from fsspec.implementations.local import LocalFileOpener, LocalFileSystem

from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.veo31 import MODEL_ID
from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator
from tests.support.object_store import ObjectStore
from tests.support.optional import (
    AZURE_AVAILABLE,
    AZURE_MISSING_REASON,
    GCS_AVAILABLE,
    GCS_MISSING_REASON,
    S3_AVAILABLE,
    S3_MISSING_REASON,
)

FAILING_SCHEME = "failingdisk"

if S3_AVAILABLE:
    from tests.support.s3_storage import moto_endpoint, s3_bucket  # noqa: F401
if GCS_AVAILABLE:
    from tests.support.gcs_storage import fake_gcs_endpoint, gcs_bucket  # noqa: F401
if AZURE_AVAILABLE:
    from tests.support.azure_storage import azure_container, azurite_connection_string  # noqa: F401

#: Each cloud store and the fixture giving a fresh bucket on its local server.
# Skipped only where the store's provider cannot install (Python 3.10); CI's Python runs all three.
_STORES = [
    pytest.param("s3_bucket", id="s3", marks=pytest.mark.skipif(not S3_AVAILABLE, reason=S3_MISSING_REASON)),
    pytest.param(
        "gcs_bucket", id="gcs", marks=pytest.mark.skipif(not GCS_AVAILABLE, reason=GCS_MISSING_REASON)
    ),
    pytest.param(
        "azure_container",
        id="azure",
        marks=pytest.mark.skipif(not AZURE_AVAILABLE, reason=AZURE_MISSING_REASON),
    ),
]


@pytest.fixture(autouse=True)
def _fresh_store_cache() -> Iterator[None]:
    store._STORE_CACHE.clear()
    yield
    store._STORE_CACHE.clear()


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


@pytest.fixture(params=_STORES)
def bucket(request: pytest.FixtureRequest) -> ObjectStore:
    """A fresh bucket on S3 (moto), GCS (fake-gcs-server) and Azure Blob (Azurite), in turn."""
    fresh: ObjectStore = request.getfixturevalue(request.param)
    return fresh


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
        job_id = ScenarioHook().run_model(MODEL_ID, body).job.job_id
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
