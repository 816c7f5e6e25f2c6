"""The gallery app on a real Airflow metadata DB and a real auth manager, driven by FastAPI's TestClient.

Asset events are written the way Airflow records the transfer's outlet events (asset, alias, extra,
source task); each test uses its own DAG ids so tests share the session's SQLite DB safely. Users
authenticate with JWTs issued by the auth manager itself (tests/support/restricted_auth_manager.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.io import store
from fastapi.testclient import TestClient

from tests.support.airflow_db import init_airflow_db
from tests.support.optional import S3_AVAILABLE

if S3_AVAILABLE:
    from tests.support.s3_storage import moto_endpoint, s3_bucket  # noqa: F401

ALIAS = "scenario-videos"
JWT_SECRET = uuid.uuid4().hex * 2
Record = Callable[..., str]


@pytest.fixture(autouse=True)
def _fresh_store_cache() -> Iterator[None]:
    store._STORE_CACHE.clear()
    yield
    store._STORE_CACHE.clear()


@pytest.fixture
def dag_id() -> str:
    return f"gallery_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def record_video() -> Record:
    """Record one asset event of the transfer: ``record_video(uri, dag_id=..., run_id=..., ...)``."""
    init_airflow_db()

    def record(
        uri: str,
        *,
        dag_id: str,
        run_id: str = "manual__1",
        task_id: str = "store",
        timestamp: datetime | None = None,
        alias: str = ALIAS,
        **extra: Any,
    ) -> str:
        from airflow.models.asset import AssetAliasModel, AssetEvent, AssetModel
        from airflow.models.dag import DagModel
        from airflow.models.dagbundle import DagBundleModel
        from airflow.utils.session import create_session

        with create_session() as session:
            if session.get(DagBundleModel, "dags-folder") is None:
                session.add(DagBundleModel(name="dags-folder"))
                session.flush()
            if session.get(DagModel, dag_id) is None:
                session.add(DagModel(dag_id=dag_id, bundle_name="dags-folder", fileloc="/dags/x.py"))
            asset = session.query(AssetModel).filter_by(uri=uri).one_or_none()
            if asset is None:
                asset = AssetModel(uri=uri, name=uri, group="asset")
                session.add(asset)
            alias_row = session.query(AssetAliasModel).filter_by(name=alias).one_or_none()
            if alias_row is None:
                alias_row = AssetAliasModel(name=alias, group="asset")
                session.add(alias_row)
            session.flush()
            event = AssetEvent(
                asset_id=asset.id,
                extra={
                    "job_id": "job_1",
                    "asset_id": "asset_1",
                    "sha256": "ab" * 32,
                    "size": 10,
                    "written": True,
                    **extra,
                },
                source_dag_id=dag_id,
                source_run_id=run_id,
                source_task_id=task_id,
                source_map_index=-1,
                timestamp=timestamp or datetime.now(timezone.utc),
            )
            event.source_aliases.append(alias_row)
            session.add(event)
        return uri

    return record


@pytest.fixture
def gallery_auth(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[[str], dict[str, str]]]:
    """A real auth manager; returns ``headers(username)`` with a valid Bearer JWT for that user.

    ``reviewer`` is a viewer who may read every DAG; ``outsider`` a viewer limited to no DAG.
    """
    from airflow.api_fastapi import app as api_app
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    monkeypatch.setenv(
        "AIRFLOW__CORE__AUTH_MANAGER", "tests.support.restricted_auth_manager.RestrictedAuthManager"
    )
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "reviewer:viewer,outsider:viewer")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(tmp_path / "passwords.json"))
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", JWT_SECRET)  # Airflow caches its signer and validator
    monkeypatch.setenv("VEO_TEST_DAG_ACCESS", json.dumps({"outsider": []}))
    previous = api_app._AuthManagerState.instance
    manager = api_app.init_auth_manager()

    def headers(username: str) -> dict[str, str]:
        token = manager.generate_jwt(SimpleAuthManagerUser(username=username, role="viewer"))
        return {"Authorization": f"Bearer {token}"}

    yield headers
    api_app._AuthManagerState.instance = previous


@pytest.fixture
def client() -> Iterator[TestClient]:
    from airflow_provider_veo.plugins.gallery.app import create_gallery_app

    with TestClient(create_gallery_app(), follow_redirects=False) as test_client:
        yield test_client
