"""`make demo`: the main example DAG end to end on a real local Airflow, against the Scenario emulator.

Starts the emulator, then an Airflow deployment (api-server, scheduler, dag-processor, triggerer on
SQLite) whose ``scenario_default`` connection points at it, triggers ``veo31_generate_to_storage``
and waits for it. The video and its JSON sidecar land in ``--output``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from airflow_provider_veo.testing import EmulatorConfig, run_emulator
from airflow_provider_veo.testing.airflow_stack import AirflowStack
from airflow_provider_veo.testing.mp4probe import probe_mp4

ROOT = Path(__file__).resolve().parent.parent
DAG_ID = "veo31_generate_to_storage"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=ROOT / "demo-output")
    parser.add_argument(
        "--job-duration", type=float, default=15.0, help="Seconds the emulated Veo job takes."
    )
    args = parser.parse_args()
    output: Path = args.output.resolve()
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)

    started = time.monotonic()
    with run_emulator(EmulatorConfig(job_duration=args.job_duration)) as emulator:
        print(f"Scenario emulator listening at {emulator.base_url}")
        env = {"AIRFLOW_CONN_SCENARIO_DEFAULT": emulator.airflow_connection()}
        stack = AirflowStack(home=ROOT / ".airflow" / "demo", dags_folder=ROOT / "example_dags", env=env)
        shutil.rmtree(stack.home, ignore_errors=True)
        print("Starting Airflow (api-server, scheduler, dag-processor, triggerer); this takes about 30 s ...")
        with stack:
            stack.wait_until_ready(DAG_ID)
            print(f"Airflow is up at {stack.base_url}; triggering {DAG_ID}")
            run_id = stack.trigger_dag(DAG_ID, conf={"destination": output.as_uri()})
            state = stack.wait_for_run(DAG_ID, run_id, timeout=600)
            print(f"DAG run {run_id}: {state}")
            for task_id in ("generate", "store"):
                print(f"  {task_id}: {stack.task_instance(DAG_ID, run_id, task_id)['state']}")
            if state != "success":
                for task_id in ("generate", "store"):
                    print(f"--- log of {task_id} ---\n{stack.task_log(DAG_ID, run_id, task_id)[-4000:]}")
                return 1
            result = stack.xcom(DAG_ID, run_id, "generate")
            uris = stack.xcom(DAG_ID, run_id, "store")
            progress = [
                line for line in stack.task_log(DAG_ID, run_id, "generate").splitlines() if "%" in line
            ]
        print(f"  generate returned {json.dumps(result)}")
        print("  the triggerer polled the job while no worker slot was held:")
        for line in progress:
            print(f"    {line.strip()}")
        polls, downloads = emulator.count("GET /jobs/{jobId}"), emulator.count("GET /cdn/assets/{assetId}")
        print(f"  emulator: {emulator.paid_submissions} paid submission, {polls} polls, {downloads} download")
        print(f"  store wrote {uris}")

    videos = sorted(output.rglob("*.mp4"))
    if not videos:
        print(f"No MP4 was written under {output}", file=sys.stderr)
        return 1
    for video in videos:
        info = probe_mp4(video)
        print(
            f"{video.relative_to(ROOT) if video.is_relative_to(ROOT) else video}: "
            f"{info.width}x{info.height}, {info.duration:.1f} s, {info.fps:g} fps, "
            f"video {info.video_codec}, audio {info.audio_codec or 'none'}, {video.stat().st_size} bytes"
        )
    for sidecar in sorted(output.rglob("*.json")):
        print(f"{sidecar}: {len(json.loads(sidecar.read_text()))} provenance fields")
    print(f"Demo finished in {time.monotonic() - started:.0f} s; output in {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
