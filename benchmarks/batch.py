"""Batch: N prompts through a real Airflow (the project's airflow_stack) against an emulator with a ceiling.

One DAG maps a deferrable ``Veo31GenerateOperator`` over N prompts (pool sized to the ceiling, counting
deferred tasks) and a store over the results. The emulator runs at most ``ceiling`` jobs at once, each
lasting ``job_seconds``. Reported: the makespan (run start to end) against the ideal
``N / ceiling x job_seconds``, failed tasks, paid submissions (must equal N) and API requests per video.

    python benchmarks/batch.py --n 200 --ceiling 10 --job-seconds 10
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from _report import Section, markdown_table

from airflow_provider_veo.testing import EmulatorConfig, run_emulator
from airflow_provider_veo.testing.airflow_stack import AirflowStack

DAG_ID = "bench_batch"
POOL = "scenario_veo"
DAG_SOURCE = """
import pendulum
from airflow.sdk import DAG

from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

with DAG(dag_id="{dag_id}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False):
    generate = Veo31GenerateOperator.partial(
        task_id="generate", duration=4, deferrable=True, poll_interval=1, pool="{pool}"
    ).expand(prompt=[f"prompt {{i}}" for i in range({n})])
    ScenarioAssetsToStorageOperator.partial(
        task_id="store", destination="{destination}", object_name="{{asset_id}}.mp4"
    ).expand(job=generate.output)
"""


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _task_instances(stack: AirflowStack, run_id: str) -> list[dict[str, Any]]:
    """Every task instance of the run (the REST API pages by 100)."""
    found: list[dict[str, Any]] = []
    while True:
        path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=100&offset={len(found)}"
        page = stack.api("GET", path)
        found.extend(page["task_instances"])
        if not page["task_instances"] or len(found) >= page["total_entries"]:
            return found


def run(n: int, ceiling: int, job_seconds: float, parallelism: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        dags, videos = work / "dags", work / "videos"
        dags.mkdir()
        (dags / "bench_batch.py").write_text(
            DAG_SOURCE.format(dag_id=DAG_ID, pool=POOL, n=n, destination=videos.as_uri())
        )
        config = EmulatorConfig(job_duration=job_seconds, max_parallel_jobs=ceiling)
        with run_emulator(config) as emulator:
            env = {"AIRFLOW_CONN_SCENARIO_DEFAULT": emulator.airflow_connection()}
            with AirflowStack(
                home=work / "home", dags_folder=dags, env=env, parallelism=parallelism
            ) as stack:
                stack.wait_until_ready(DAG_ID)
                stack.api("POST", "/api/v2/pools", {"name": POOL, "slots": ceiling, "include_deferred": True})
                emulator.reset()
                run_id = stack.trigger_dag(DAG_ID)
                state = stack.wait_for_run(DAG_ID, run_id, timeout=3600)
                details = stack.api("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
                instances = _task_instances(stack, run_id)
            counters = emulator.counters()
        makespan = _seconds(details["end_date"]) - _seconds(details["start_date"])
        ideal = n / ceiling * job_seconds
        return {
            "n": n,
            "ceiling": ceiling,
            "job_seconds": job_seconds,
            "state": state,
            "makespan": makespan,
            "ideal": ideal,
            "failed_tasks": sum(ti["state"] != "success" for ti in instances),
            "paid": counters["paid_submissions"],
            "videos": len(list(videos.glob("*.mp4"))),
            "requests_per_video": sum(counters["routes"].values()) / n,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(n: int, ceiling: int, job_seconds: float, parallelism: int) -> str:
    started = time.monotonic()
    r = run(n, ceiling, job_seconds, parallelism)
    header = [
        "N",
        "ceiling",
        "job s",
        "makespan s",
        "ideal s",
        "makespan / ideal",
        "failed tasks",
        "paid submissions",
        "videos landed",
        "API requests / video",
    ]
    row = [
        r["n"],
        r["ceiling"],
        f"{r['job_seconds']:g}",
        f"{r['makespan']:.0f}",
        f"{r['ideal']:.0f}",
        f"{r['makespan'] / r['ideal']:.2f}",
        r["failed_tasks"],
        r["paid"],
        r["videos"],
        f"{r['requests_per_video']:.1f}",
    ]
    return (
        f"One run: LocalExecutor (parallelism {parallelism}) on SQLite with a triggerer (the project's "
        "`airflow_stack`), a DAG mapping a deferrable `Veo31GenerateOperator` over N prompts in a pool of "
        "`ceiling` slots counting deferred tasks, then a mapped store to local files; the emulator runs "
        "at most `ceiling` jobs at once (429 beyond). Ideal = N / ceiling x job seconds; target "
        f"makespan / ideal <= 1.15. Whole section {time.monotonic() - started:.0f} s (stack start-up "
        "included).\n\n" + markdown_table(header, [row])
    )


def section(smoke: bool) -> str:
    if smoke:
        return report(n=4, ceiling=2, job_seconds=2, parallelism=4)
    return report(n=200, ceiling=10, job_seconds=10, parallelism=16)


SECTION = Section(name="batch", title="Batch: N prompts on a real Airflow against the ceiling", run=section)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--ceiling", type=int, default=10)
    parser.add_argument("--job-seconds", type=float, default=10)
    parser.add_argument("--parallelism", type=int, default=16)
    args = parser.parse_args()
    print(report(args.n, args.ceiling, args.job_seconds, args.parallelism))


if __name__ == "__main__":
    main()
