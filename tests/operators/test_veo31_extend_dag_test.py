"""An Extend chain inside real task runs: dag.test() defers each step to JobCompleteTrigger, retries in
the middle of the chain, and lands the final video whose decoded duration is the source plus 4 x 7 s."""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path

import av

from airflow_provider_veo.testing import EmulatorConfig
from airflow_provider_veo.testing.mp4probe import probe_mp4
from tests.support.logs import captured_logs


def test_a_deferred_chain_with_retries_pays_once_per_step_and_lands_36_seconds(
    airflow_db, scenario_emulator_factory, tmp_path: Path
) -> None:
    dag = importlib.import_module("tests.dags.veo31_extend_chain").dag
    with (
        scenario_emulator_factory(EmulatorConfig(job_duration=1.0)) as emu,
        captured_logs() as logs,
    ):
        dag_run = dag.test(run_conf={"destination": f"file://{tmp_path}"})

        assert dag_run.state == "success"
        assert emu.paid_submissions == 1 + 4  # the generation, then one payment per step
        extend_jobs = [emu.job(j) for j in emu.job_ids() if "video" in emu.job(j)["metadata"]["input"]]
        assert len(extend_jobs) == 4
    assert dag_run.get_task_instance("extend").try_number >= 2  # the chain stopped and was resumed
    assert any(m.startswith("step 2/4: in-progress") for m in logs.messages())

    (video,) = sorted((tmp_path / "veo31_extend_chain").glob("*.mp4"))
    data = video.read_bytes()
    assert probe_mp4(data).duration == 8 + 4 * 7
    with av.open(io.BytesIO(data)) as container:  # an independent decoder agrees
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == (8 + 4 * 7) * 24

    sidecar = json.loads(Path(f"{video}.json").read_text())
    steps = sidecar["chain"]["steps"]
    assert [step["prompt"] for step in steps] == [
        "the fox runs on",
        "it reaches the forest",
        "night falls",
        "it sleeps",
    ]
    assert {step["job_id"] for step in steps} == {job["jobId"] for job in extend_jobs}
    assert [step["cost"] for step in steps] == [175] * 4
    assert steps[-1]["asset_id"] == sidecar["asset_id"]
    assert sidecar["duration"] == 36
