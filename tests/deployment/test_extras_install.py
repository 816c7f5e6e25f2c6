"""The extras ``[gcs]`` and ``[azure]`` install on a fresh venv and give ObjectStoragePath its filesystems.

Installed as a user installs them (``uv pip install "airflow-provider-veo[gcs,azure]"``, here from
this checkout; no lock, no constraints), from uv's cache and PyPI. Both extras go into one venv in
one step: one extra per venv took twice as long (measured 108 s, against 45-55 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")

#: Run in the fresh venv: is the provider registered, and which filesystem serves each URI.
CHECK = """
import json
from airflow.providers_manager import ProvidersManager
from airflow.sdk import ObjectStoragePath
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator
uris = {"gs://some-bucket/veo/video.mp4": "gcs_check", "abfs://some-container/veo/video.mp4": "azure_check"}
print(json.dumps({
    "provider": "airflow-provider-veo" in ProvidersManager().providers,
    "filesystems": {uri: type(ObjectStoragePath(uri, conn_id=c).fs).__name__ for uri, c in uris.items()},
}))
"""
#: Azurite's public development account: building the filesystem sends no request.
AZURE_CONNECTION_STRING = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
)


def _run(*command: str | Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.timeout(600)
def test_gcs_and_azure_extras_install_and_serve_their_uris(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    env = {
        **{
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AIRFLOW", "VIRTUAL_ENV"))
        },
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
        "AIRFLOW_CONN_GCS_CHECK": json.dumps(
            {
                "conn_type": "google_cloud_platform",
                "extra": {"is_anonymous": True, "project": "check-project"},
            }
        ),
        "AIRFLOW_CONN_AZURE_CHECK": json.dumps(
            {"conn_type": "wasb", "extra": {"connection_string": AZURE_CONNECTION_STRING}}
        ),
    }
    started = time.monotonic()
    _run(UV, "venv", "-q", "--python", sys.executable, venv)
    _run(UV, "pip", "install", "-q", "--python", python, f"{ROOT}[gcs,azure]")
    installed = time.monotonic()

    report = json.loads(_run(python, "-c", CHECK, env=env).splitlines()[-1])

    checked = time.monotonic()
    print(f"[gcs,azure] installed in {installed - started:.1f} s, checked in {checked - installed:.1f} s")
    assert report == {
        "provider": True,
        "filesystems": {
            "gs://some-bucket/veo/video.mp4": "GCSFileSystem",
            "abfs://some-container/veo/video.mp4": "AzureBlobFileSystem",
        },
    }
