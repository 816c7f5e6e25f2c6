"""The main example DAG on a real Airflow deployment: a triggerer restart mid-render, then a clear and re-run.

api-server, scheduler, dag-processor and triggerer run as separate processes on SQLite (about 90 s).
The generate task must really defer to the triggerer, survive the triggerer's restart, and the whole
run must pay for exactly one video and land it in storage.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator, run_emulator
from airflow_provider_veo.testing.airflow_stack import AirflowStack
from airflow_provider_veo.testing.mp4probe import probe_mp4

DAG_ID = "veo31_generate_to_storage"
EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"
POLLS = "GET /jobs/{jobId}"


@pytest.fixture(scope="module")
def emulator() -> Iterator[ScenarioEmulator]:
    with run_emulator(EmulatorConfig(job_duration=40.0)) as emu:
        yield emu


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, emulator: ScenarioEmulator) -> Iterator[AirflowStack]:
    home = tmp_path_factory.mktemp("airflow-stack")
    env = {"AIRFLOW_CONN_SCENARIO_DEFAULT": emulator.airflow_connection()}
    with AirflowStack(home=home, dags_folder=EXAMPLE_DAGS, env=env) as airflow:
        airflow.wait_until_ready(DAG_ID)
        yield airflow


def _polling(emulator: ScenarioEmulator) -> int:
    """Requests of the triggerer: its coalesced listings and its own jobs' reads."""
    return emulator.count(POLLS) + emulator.count("GET /jobs")


def test_deferred_generation_survives_a_triggerer_restart_and_pays_once(
    stack: AirflowStack, emulator: ScenarioEmulator, tmp_path: Path
) -> None:
    run_id = stack.trigger_dag(DAG_ID, conf={"destination": tmp_path.as_uri()})

    ti = stack.wait(
        lambda: t if (t := stack.task_instance(DAG_ID, run_id, "generate"))["state"] == "deferred" else None,
        timeout=120,
        what="generate to defer",
    )
    assert ti["trigger"]["classpath"] == "airflow_provider_veo.triggers.job_complete.JobCompleteTrigger"
    assert emulator.paid_submissions == 1
    polls_before = _polling(emulator)
    stack.wait(lambda: _polling(emulator) >= polls_before + 2, timeout=60, what="triggerer polls")

    stack.stop("triggerer", signal.SIGTERM)
    stopped_at = _polling(emulator)
    time.sleep(4)
    assert _polling(emulator) <= stopped_at + 1, "polling went on with no triggerer running"
    assert stack.task_instance(DAG_ID, run_id, "generate")["state"] == "deferred"

    stack.start("triggerer")
    assert stack.wait_for_run(DAG_ID, run_id, timeout=240) == "success"

    assert _polling(emulator) > stopped_at + 1, "the restarted triggerer did not resume polling"
    assert emulator.paid_submissions == 1
    generate = stack.task_instance(DAG_ID, run_id, "generate")
    assert generate["try_number"] == 1
    result = stack.xcom(DAG_ID, run_id, "generate")
    assert result["status"] == "success"
    assert len(result["asset_ids"]) == 1

    videos = list(tmp_path.rglob("*.mp4"))
    assert len(videos) == 1
    info = probe_mp4(videos[0])
    assert (info.width, info.height, round(info.duration)) == (1920, 1080, 8)
    assert info.has_audio
    assert stack.xcom(DAG_ID, run_id, "store") == [videos[0].as_uri()]
    landed = videos[0].stat().st_mtime_ns

    # Clear and re-run the whole run: the task state survives the clear, so generate re-attaches to
    # its finished job instead of paying again, and store finds the identical video already landed.
    downloads = emulator.count("GET /cdn/assets/{assetId}")
    stack.api(
        "POST",
        f"/api/v2/dags/{DAG_ID}/clearTaskInstances",
        {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": ["generate"],
            "only_failed": False,
            "include_downstream": True,
            "reset_dag_runs": True,
        },
    )
    stack.wait(
        lambda: (
            stack.task_instance(DAG_ID, run_id, "store")["try_number"] == 2
            and stack.run_state(DAG_ID, run_id) == "success"
        ),
        timeout=180,
        what="the cleared run to succeed again",
    )
    assert emulator.paid_submissions == 1
    assert stack.xcom(DAG_ID, run_id, "generate") == result
    assert emulator.count("GET /cdn/assets/{assetId}") == downloads  # skipped as identical
    assert videos[0].stat().st_mtime_ns == landed
