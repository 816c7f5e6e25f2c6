"""Jobs: the clock-driven state machine, failures, listing with cursors, cancellation."""

from __future__ import annotations

import time
from typing import Any

import pytest

from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator
from airflow_provider_veo.testing.emulator.clock import parse_iso
from airflow_provider_veo.testing.emulator.jobs import JobFailure, JobRecord

from .conftest import Api

PATH = ["queued", "warming-up", "in-progress", "finalizing", "success"]
CANCEL_REFUSED = "Cannot cancel this type of job. Action not permitted."


def _record(**kwargs: Any) -> JobRecord:
    defaults: dict[str, Any] = {
        "job_id": "job_x",
        "seq": 0,
        "created_at": 1000.0,
        "duration": 10.0,
        "input": {},
        "owner_id": "proj_x",
        "author_id": "a",
        "cost": 120,
        "output_asset_id": "asset_x",
    }
    return JobRecord(**{**defaults, **kwargs})


@pytest.mark.parametrize(
    ("elapsed", "status", "progress"),
    [
        (0.0, "queued", 0.0),
        (0.99, "queued", 0.0),
        (1.0, "warming-up", 0.0),
        (2.5, "in-progress", 0.0),
        (5.5, "in-progress", 0.475),
        (8.5, "finalizing", 0.95),
        (9.99, "finalizing", 0.9897),
        (10.0, "success", 1.0),
        (500.0, "success", 1.0),
    ],
)
def test_status_and_progress_follow_the_clock(elapsed: float, status: str, progress: float) -> None:
    job = _record().to_json(1000.0 + elapsed)

    assert job["status"] == status
    assert job["progress"] == pytest.approx(progress, abs=1e-3)
    assert [h["status"] for h in job["statusHistory"]] == PATH[: PATH.index(status) + 1]


def test_progress_is_monotonic_and_history_only_grows() -> None:
    record = _record()
    previous_progress, previous_history = -1.0, 0
    for step in range(0, 121):
        job = record.to_json(1000.0 + step / 10)
        assert 0.0 <= job["progress"] <= 1.0
        assert job["progress"] >= previous_progress
        assert len(job["statusHistory"]) >= previous_history
        previous_progress, previous_history = job["progress"], len(job["statusHistory"])
    assert previous_progress == 1.0


def test_a_failing_job_stops_where_finalizing_would_start() -> None:
    record = _record(failure=JobFailure("Content moderated", "Rephrase the prompt"))

    running, failed = record.to_json(1008.0), record.to_json(1008.5)

    assert running["status"] == "in-progress"
    assert failed["status"] == "failure"
    assert [h["status"] for h in failed["statusHistory"]] == [
        "queued",
        "warming-up",
        "in-progress",
        "failure",
    ]
    assert failed["progress"] == pytest.approx(0.95)
    assert failed["metadata"]["error"] == "Content moderated"
    assert failed["metadata"]["hint"] == "Rephrase the prompt"
    assert failed["metadata"]["assetIds"] == []
    assert failed["billing"]["cuCost"] == 0


def test_a_job_runs_to_success_over_http(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    job = api.submit()
    seen: list[str] = []
    progress: list[float] = []
    while not seen or seen[-1] != "success":
        current = api.get(f"/jobs/{job['jobId']}").json()["job"]
        JobStatus.parse(current["status"])
        if not seen or seen[-1] != current["status"]:
            seen.append(current["status"])
        progress.append(current["progress"])
        time.sleep(0.02)

    assert seen == [s for s in PATH if s in seen]
    assert progress == sorted(progress)
    assert current["metadata"]["assetIds"][0].startswith("asset_")
    assert [h["status"] for h in current["statusHistory"]] == PATH
    dates = [parse_iso(h["date"]) for h in current["statusHistory"]]
    assert dates == sorted(dates)
    assert current["updatedAt"] == current["statusHistory"][-1]["date"]
    assert scenario_emulator.polls == len(progress)
    assert scenario_emulator.job(job["jobId"]) == current


def test_fail_next_jobs(fast_api: Api) -> None:
    fast_api.emulator.fail_next_jobs(1, error="Content moderated", hint="Rephrase the prompt")

    failed = fast_api.wait(fast_api.submit()["jobId"])
    ok = fast_api.wait(fast_api.submit()["jobId"])

    assert failed["status"] == "failure"
    assert failed["metadata"]["error"] == "Content moderated"
    assert failed["metadata"]["hint"] == "Rephrase the prompt"
    assert ok["status"] == "success"
    assert fast_api.emulator.paid_submissions == 2


def test_unknown_job_is_404(api: Api) -> None:
    response = api.get("/jobs/job_doesnotexist")

    assert response.status_code == 404
    assert response.json() == {"reason": "Job not found"}


def test_list_pages_through_every_job_newest_first(api: Api) -> None:
    ids = [api.submit()["jobId"] for _ in range(5)]
    seen: list[str] = []
    params: dict[str, Any] = {"pageSize": 2}
    pages = 0
    while True:
        page = api.get("/jobs", params=params).json()
        seen.extend(job["jobId"] for job in page["jobs"])
        pages += 1
        if "nextPaginationToken" not in page:
            break
        params["paginationToken"] = page["nextPaginationToken"]

    assert seen == ids[::-1]
    assert pages == 3


def test_list_filters_by_status_and_updated_after(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    done = api.wait(api.submit()["jobId"])
    running = api.submit()

    successes = api.get("/jobs", params={"status": "success"}).json()["jobs"]
    queued = api.get("/jobs", params={"status": "queued"}).json()["jobs"]
    recent = api.get("/jobs", params={"type": "custom", "updatedAfter": done["updatedAt"]}).json()["jobs"]

    assert [j["jobId"] for j in successes] == [done["jobId"]]
    assert [j["jobId"] for j in queued] == [running["jobId"]]
    assert [j["jobId"] for j in recent] == [running["jobId"]]
    assert api.get("/jobs", params={"type": "other", "updatedAfter": done["createdAt"]}).json()["jobs"] == []


def test_list_filter_combinations_the_api_refuses(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    api.submit()
    since = "2026-01-01T00:00:00.000Z"
    # By update date only with a status/type filter; by creation date only without one.
    assert api.get("/jobs", params={"updatedAfter": since}).status_code == 400
    assert api.get("/jobs", params={"status": "queued", "createdAfter": since}).status_code == 400
    assert api.get("/jobs", params={"types": "custom", "createdAfter": since}).status_code == 400
    assert api.get("/jobs", params={"createdAfter": since}).status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"updatedAfter": "2026-01-01T00:00:00.000Z"}, "updatedAfter is only allowed with status"),
        ({"status": "success", "createdAfter": "2026-01-01T00:00:00.000Z"}, "createdAfter is only allowed"),
    ],
)
def test_date_filters_follow_the_documented_sort_rules(
    api: Api, params: dict[str, str], message: str
) -> None:
    response = api.get("/jobs", params=params)

    assert response.status_code == 400
    assert message in response.json()["reason"]


def test_filtered_pages_may_be_short_while_the_token_is_set(api: Api) -> None:
    api.wait(api.submit()["jobId"])
    api.submit()
    api.submit()

    first = api.get("/jobs", params={"status": "success", "pageSize": 2}).json()

    assert first["jobs"] == []
    second = api.get(
        "/jobs", params={"status": "success", "pageSize": 2, "paginationToken": first["nextPaginationToken"]}
    ).json()
    assert len(second["jobs"]) == 1
    assert "nextPaginationToken" not in second


@pytest.mark.parametrize(
    "params",
    [{"pageSize": 0}, {"pageSize": 101}, {"pageSize": "x"}, {"status": "done"}, {"paginationToken": "???"}],
)
def test_list_rejects_bad_parameters(api: Api, params: dict[str, Any]) -> None:
    response = api.get("/jobs", params=params)

    assert response.status_code == 400
    assert response.json()["reason"]


def test_cancel_is_refused_by_default(api: Api) -> None:
    job = api.submit()

    response = api.post(f"/jobs/{job['jobId']}/action", json={"action": "cancel"})

    assert response.status_code == 400
    assert response.json() == {"reason": CANCEL_REFUSED}
    assert api.wait(job["jobId"])["status"] == "success"


def test_cancel_when_allowed(scenario_emulator_factory: Any) -> None:
    with scenario_emulator_factory(EmulatorConfig(allow_cancel=True, job_duration=0.6)) as emu:
        api = Api(emu)
        job = api.submit()
        time.sleep(0.2)
        canceled = api.post(f"/jobs/{job['jobId']}/action", json={"action": "cancel"})
        later = api.wait(job["jobId"])
        again = api.post(f"/jobs/{job['jobId']}/action", json={"action": "cancel"})
        bad = api.post(f"/jobs/{job['jobId']}/action", json={"action": "pause"})
        api.close()

    assert canceled.status_code == 200
    assert canceled.json()["job"]["status"] == "canceled"
    time.sleep(0.5)
    assert later["status"] == "canceled"
    assert later["statusHistory"][-1]["status"] == "canceled"
    assert later["metadata"]["assetIds"] == []
    assert later["progress"] == canceled.json()["job"]["progress"]
    assert again.status_code == 400
    assert bad.status_code == 400
