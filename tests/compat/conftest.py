"""The compatibility suite: run by scripts/compat_matrix.py (``make compat``) in one venv per Airflow line.

Only what differs between Airflow 3.0 and 3.3 is proven here, through the real task runner
(``dag.test()``) against the emulator; the full suite runs on the locked Airflow of the main venv.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.airflow_db import init_airflow_db

DAGS = Path(__file__).parent / "dags"
LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"


@pytest.fixture
def airflow_dags(monkeypatch: pytest.MonkeyPatch) -> None:
    """A migrated metadata DB, and tests/compat/dags as a DAG bundle (dag.test() needs one)."""
    bundles = [
        {"name": "dags-folder", "classpath": LOCAL_BUNDLE, "kwargs": {}},
        {"name": "compat-test-dags", "classpath": LOCAL_BUNDLE, "kwargs": {"path": str(DAGS)}},
    ]
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps(bundles))
    init_airflow_db()


@pytest.fixture(scope="session", autouse=True)
def _one_execution_api_app() -> Iterator[None]:
    """Build Airflow's in-process Execution API app once: dag.test() builds it for every task run.

    Building it (FastAPI + cadwyn versions) takes seconds on a loaded 2-core machine, and this suite runs
    some twelve tasks; every request still goes through the app, against the same metadata DB.
    """
    from airflow.sdk.execution_time import supervisor

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(supervisor, "in_process_api_server", functools.cache(supervisor.in_process_api_server))
        yield
