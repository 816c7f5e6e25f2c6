"""The batch example end to end with dag.test(): a ceiling smaller than the batch, one payment per video.

The emulator allows 2 running jobs; two jobs of "another DAG" hold both slots when the batch starts,
so the first generations meet the ceiling (429), wait in the triggerer and submit again. Every row's
video lands with its sidecar, the manifest lists them with their cost, no task fails, and the
emulator counts exactly one paid submission per row.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from airflow.models.pool import Pool
from airflow.utils.session import create_session

from airflow_provider_veo.testing import EmulatorConfig
from tests.support.jobs import submit_job

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "veo31_batch_from_file.py"
ROWS = [
    {"prompt": "a red fox in the snow", "seed": 1, "duration": 4},
    {"prompt": "a lighthouse at dawn", "duration": 4, "model_id": "model_veo3-1-fast"},
    {"prompt": "a tram in the rain", "duration": 4, "resolution": "720p", "generate_audio": False},
    {"prompt": "a kite over the dunes", "duration": 4, "model_id": "model_veo3-1-lite"},
]


def _dag():
    spec = importlib.util.spec_from_file_location("batch_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def test_a_batch_larger_than_the_ceiling_lands_every_video_paying_once_each(
    airflow_db, scenario_emulator_factory, tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("\n".join(json.dumps(row) for row in ROWS) + "\n")
    destination = tmp_path / "videos"
    with create_session() as session:
        Pool.create_or_update_pool(
            "scenario_veo", slots=2, description="test", include_deferred=True, session=session
        )
    dag = _dag()
    with scenario_emulator_factory(EmulatorConfig(job_duration=1.5, max_parallel_jobs=2)) as emulator:
        others = [submit_job("another DAG's job", duration=4) for _ in range(2)]  # the ceiling is full
        dag_run = dag.test(
            run_conf={
                "prompts_file": prompts.as_uri(),
                "destination": destination.as_uri(),
                "batch_budget": 5000,
            }
        )

    assert dag_run.state == "success"
    failed = [ti.task_id for ti in dag_run.get_task_instances() if ti.state != "success"]
    assert failed == []
    assert emulator.paid_submissions == len(ROWS) + len(others)  # one payment per row, none twice
    assert emulator.count("POST /generate/custom/{modelId}") > emulator.paid_submissions  # 429s were met

    manifest = [json.loads(line) for line in (destination / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == len(ROWS)
    for entry in manifest:
        video = Path(entry["video"].removeprefix("file://"))
        assert video.stat().st_size > 0
        sidecar = json.loads(Path(entry["sidecar"].removeprefix("file://")).read_text())
        assert sidecar["job_id"] == entry["job_id"]
        assert entry["cost"] == emulator.job(entry["job_id"])["billing"]["cuCost"]
    sent = {emulator.job(entry["job_id"])["metadata"]["input"]["prompt"] for entry in manifest}
    assert sent == {row["prompt"] for row in ROWS}


def test_a_batch_over_its_budget_pays_nothing(airflow_db, scenario_emulator_factory, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("\n".join(json.dumps(row) for row in ROWS) + "\n")
    dag = _dag()
    with scenario_emulator_factory(EmulatorConfig(job_duration=0.5)) as emulator:
        dag_run = dag.test(
            run_conf={
                "prompts_file": prompts.as_uri(),
                "destination": (tmp_path / "v").as_uri(),
                "batch_budget": 10,
            }
        )
    assert dag_run.state == "failed"
    assert emulator.paid_submissions == 0
    assert dag_run.get_task_instance("check_budget").state == "failed"
