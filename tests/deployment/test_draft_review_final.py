"""The draft → approval → final example on a real Airflow, answered through the api-server's HITL endpoints.

Two runs of ``veo31_draft_review_final`` share one stack and one emulator: one is approved, one
rejected, both through ``PATCH .../hitlDetails`` as a reviewer's client would. Each run has its own
prompt, so the emulator's jobs tell which run paid for what.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator, run_emulator
from airflow_provider_veo.testing.airflow_stack import AirflowStack
from airflow_provider_veo.testing.mp4probe import probe_mp4

DAG_ID = "veo31_draft_review_final"
EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / f"{DAG_ID}.py"
DRAFT = {"duration": 4, "resolution": "720p", "generateAudio": False}
FINAL = {"duration": 8, "resolution": "1080p", "generateAudio": True}


@pytest.fixture(scope="module")
def emulator() -> Iterator[ScenarioEmulator]:
    # Renders last long enough for the worker that deferred to be reported gone before the trigger
    # fires: on a loaded machine LocalExecutor reports it seconds late, and Airflow 3.3.2 then takes
    # the resumed task (same try number) for one killed externally and fails it.
    with run_emulator(EmulatorConfig(job_duration=12.0)) as emu:
        yield emu


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, emulator: ScenarioEmulator) -> Iterator[AirflowStack]:
    dags = tmp_path_factory.mktemp("dags")
    shutil.copy(EXAMPLE, dags)  # this DAG alone: nothing else to parse or schedule
    home = tmp_path_factory.mktemp("airflow-stack")
    env = {"AIRFLOW_CONN_SCENARIO_DEFAULT": emulator.airflow_connection()}
    with AirflowStack(home=home, dags_folder=dags, env=env) as airflow:
        airflow.wait_until_ready(DAG_ID)
        yield airflow


def jobs_of(emulator: ScenarioEmulator, prompt: str) -> list[dict[str, Any]]:
    """The inputs of the jobs created (paid for) with this prompt, oldest first."""
    inputs = [emulator.job(job_id)["metadata"]["input"] for job_id in emulator.job_ids()]
    return [body for body in inputs if body["prompt"] == prompt]


def awaiting_input(stack: AirflowStack, run_id: str) -> bool:
    """Whether the run's review waits for a person; fails at once if the run failed before that."""
    if stack.run_state(DAG_ID, run_id) == "failed":
        tis = stack.api("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")["task_instances"]
        pytest.fail(f"run {run_id} failed: { ({ti['task_id']: ti['state'] for ti in tis}) }")
    return bool(stack.task_instance(DAG_ID, run_id, "review")["state"] == "awaiting_input")


def worker_gone(stack: AirflowStack, run_id: str, task_id: str) -> bool:
    """Whether the scheduler has heard that the worker which parked this task exited.

    Answering before that trips a race in Airflow 3.3.2: the exit is reported under the same task
    key as the resumed task, which the scheduler then takes for one killed externally and fails.
    A person takes longer than that; a test must wait for it.
    """
    event = "Received executor event with state success"
    key = f"task_id='{task_id}', run_id='{run_id}'"
    lines = (stack.logs_dir / "scheduler.log").read_text(errors="replace").splitlines()
    return any(event in line and key in line for line in lines)


def test_approved_run_pays_for_the_final_and_rejected_run_does_not(
    stack: AirflowStack, emulator: ScenarioEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    runs = {
        "Approve": {"prompt": "A lighthouse in a storm", "seed": 7, "destination": tmp_path / "approved"},
        "Reject": {"prompt": "A snail racing a tortoise", "seed": 11, "destination": tmp_path / "rejected"},
    }
    run_ids = {}
    for answer, conf in runs.items():
        run_ids[answer] = stack.trigger_dag(
            DAG_ID,
            run_id=f"{answer.lower()}_{int(time.time() * 1000)}",
            conf={**conf, "destination": conf["destination"].as_uri()},
        )

    details = {}
    for answer, run_id in run_ids.items():
        stack.wait(
            lambda run_id=run_id: awaiting_input(stack, run_id),
            timeout=180,
            what=f"the review of {run_id} to wait for a person",
            interval=2.0,
        )
        stack.wait(
            lambda run_id=run_id: worker_gone(stack, run_id, "review"),
            timeout=60,
            what=f"the scheduler to hear that the worker which parked the review of {run_id} exited",
        )
        review = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails"
        details[answer] = stack.api("GET", review)
    assert emulator.paid_submissions == 2, "only the two drafts may be paid before anyone answered"

    # The reviewer sees the draft in the gallery, what it cost, and the final's dry-run estimate.
    costs = set()
    for answer, detail in details.items():
        run_id, conf = run_ids[answer], runs[answer]
        assert detail["options"] == ["Approve", "Reject"]
        assert detail["response_received"] is False
        assert conf["prompt"] in detail["subject"]
        (draft_job,) = jobs_of(emulator, conf["prompt"])
        assert {key: draft_job[key] for key in DRAFT} == DRAFT
        assert draft_job["seed"] == conf["seed"]
        draft_cost = stack.xcom(DAG_ID, run_id, "draft")["cost"]
        final_estimate = stack.xcom(DAG_ID, run_id, "estimate_final")
        gallery = f"{stack.base_url}/scenario-veo/?{urlencode({'dag_id': DAG_ID, 'run_id': run_id})}"
        assert f"[watch it in the review gallery]({gallery})" in detail["body"]
        assert f"| Draft, 4 s, 720p, no audio (spent) | {draft_cost:g} |" in detail["body"]
        assert f"| Final, 8 s, 1080p, with audio (dry-run estimate) | {final_estimate:g} |" in detail["body"]
        costs.add((draft_cost, final_estimate))
    ((draft_cost, final_estimate),) = costs
    assert 0 < draft_cost < final_estimate

    for answer, run_id in run_ids.items():
        path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails"
        response = stack.api("PATCH", path, {"chosen_options": [answer]})
        assert response["chosen_options"] == [answer]
    for run_id in run_ids.values():
        assert stack.wait_for_run(DAG_ID, run_id, timeout=180) == "success"

    # Rejected: the final was never submitted; only the draft landed.
    rejected, rejected_run = runs["Reject"], run_ids["Reject"]
    assert len(jobs_of(emulator, rejected["prompt"])) == 1
    for task_id in ("final", "store_final"):
        assert stack.task_instance(DAG_ID, rejected_run, task_id)["state"] == "skipped"
    (draft_video,) = rejected["destination"].rglob("*.mp4")
    assert draft_video.parent.name == "draft"
    info = probe_mp4(draft_video)
    assert (info.width, info.height, round(info.duration), info.has_audio) == (1280, 720, 4, False)

    # Approved: the final was submitted once, with the draft's prompt and seed, at full quality.
    approved, approved_run = runs["Approve"], run_ids["Approve"]
    draft_body, final_body = jobs_of(emulator, approved["prompt"])
    assert {key: final_body[key] for key in FINAL} == FINAL
    assert stack.xcom(DAG_ID, approved_run, "final")["cost"] == final_estimate  # billed as estimated
    shared = ("prompt", "seed", "negativePrompt", "aspectRatio")
    assert {key: final_body[key] for key in shared} == {key: draft_body[key] for key in shared}
    videos = {video.parent.name: video for video in approved["destination"].rglob("*.mp4")}
    assert set(videos) == {"draft", "final"}
    info = probe_mp4(videos["final"])
    assert (info.width, info.height, round(info.duration), info.has_audio) == (1920, 1080, 8, True)
    assert stack.xcom(DAG_ID, approved_run, "store_final") == [videos["final"].as_uri()]
    source = {"source_dag_id": DAG_ID, "source_run_id": approved_run, "source_task_id": "store_final"}
    events = stack.api("GET", f"/api/v2/assets/events?{urlencode(source)}")["asset_events"]
    assert [event["uri"] for event in events] == [videos["final"].as_uri()]

    assert emulator.paid_submissions == 3  # two drafts and one final: nothing else was paid for
    with capsys.disabled():  # the numbers quoted in docs/review-flow.md
        print(
            f"\n[review flow] draft {draft_cost:g} CU, final estimate {final_estimate:g} CU; "
            f"a rejection saves {final_estimate:g} CU, an approval costs {draft_cost + final_estimate:g} CU "
            f"instead of {final_estimate:g}; both runs took {time.monotonic() - started:.0f} s"
        )
