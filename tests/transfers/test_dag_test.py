"""The operator inside a real task runner: dag.test() runs generate (deferred) then store.

This covers what calling execute() directly does not: XComArg inputs from the generate operator,
Jinja rendering by Airflow, the worker's ObjectStoragePath, and asset events through the AssetAlias
reaching the metadata DB.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from airflow.models.asset import AssetEvent
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

from airflow_provider_veo.testing import EmulatorConfig
from tests.support.airflow_db import init_airflow_db
from tests.transfers._helpers import files_under, sha256

DAGS = Path(__file__).parent / "dags"
LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"


def test_generated_video_is_stored_and_announced(
    tmp_path: Path, scenario_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dag.test() needs the DAG in a configured bundle: add this folder next to the default one.
    bundles = [
        {"name": "dags-folder", "classpath": LOCAL_BUNDLE, "kwargs": {}},
        {"name": "transfer-test-dags", "classpath": LOCAL_BUNDLE, "kwargs": {"path": str(DAGS)}},
    ]
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps(bundles))
    init_airflow_db()
    dag = importlib.import_module("tests.transfers.dags.veo31_to_storage").dag
    with scenario_emulator_factory(EmulatorConfig(job_duration=0.5)) as emu:
        dag_run = dag.test(run_conf={"destination": f"file://{tmp_path}"})

    assert dag_run.state == "success"
    (job_id,) = emu.job_ids()
    (asset_id,) = emu.job(job_id)["metadata"]["assetIds"]
    name = f"veo31_to_storage/{job_id}/{asset_id}.mp4"
    assert files_under(tmp_path) == [name, f"{name}.json"]
    video = (tmp_path / name).read_bytes()
    assert json.loads((tmp_path / f"{name}.json").read_text())["sha256"] == sha256(video)

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id, task_id="store", key="return_value")
            .one()
        )
        assert XComModel.deserialize_value(row) == [f"file://{tmp_path}/{name}"]
        events = session.query(AssetEvent).filter_by(source_run_id=dag_run.run_id).all()
        assert [(event.asset.uri, event.extra["asset_id"]) for event in events] == [
            (f"file://{tmp_path}/{name}", asset_id)
        ]
