"""Fault matrix: every endpoint the flow calls x every fault, through generate -> wait -> store.

Each case injects its faults into the emulator, then runs the real operators (over HTTP, with a real
task state store carried across tries, as Airflow's retries would) until both tasks succeed, one
fails without retries (``AirflowFailException``), or the tries run out. It must end in either

* **success**: exactly one paid submission, and the landed object is byte-exact with its sidecar; or
* **a clean failure**: an Airflow error naming the problem, at most one paid submission, and no
  partial object (no temporary sibling, no object whose bytes differ).

Anything else is a violation (a second payment, a half-written or wrong object, a bare TypeError...).
Cases marked ``must_succeed`` are transient faults the retries must overcome. The table of outcomes
is printed at the end of the run (tests/hardening/conftest.py).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.testing import EmulatorConfig, Fault, ScenarioEmulator, make_png, run_emulator
from airflow_provider_veo.testing.emulator.faults import DELETE
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator
from airflow_provider_veo.transfers.staging import PARTIAL_MARKER
from tests.support.context import task_context
from tests.support.task_state import InMemoryTaskState

GENERATE = "POST /generate/custom/{modelId}"
POLL = "GET /jobs/{jobId}"
LIST = "GET /jobs"
ASSET = "GET /assets/{assetId}"
DOWNLOAD = "POST /assets/{assetId}/download"
CDN = "GET /cdn/assets/{assetId}"
UPLOAD = "POST /assets"

TRIES = 3
REQUEST_TIMEOUT = 1.0


@dataclass(frozen=True)
class Injection:
    route: str
    fault: Fault
    times: int = 1
    skip: int = 0


@dataclass(frozen=True)
class Case:
    name: str
    injections: tuple[Injection, ...]
    budget: bool = False
    image: bool = False
    must_succeed: bool = False


@dataclass
class Outcome:
    kind: str  # "succeeded" | "failed cleanly" | "violation"
    detail: str = ""
    errors: list[str] = field(default_factory=list)


# --- the cases ------------------------------------------------------------------------------------

#: (slot name, route, skip, budget, image): where a fault lands in the flow.
SLOTS = (
    ("dry run", GENERATE, 0, True, False),
    ("submit", GENERATE, 0, False, False),
    ("poll", POLL, 0, False, False),
    ("get asset", ASSET, 0, False, False),
    ("download url", DOWNLOAD, 0, False, False),
    ("cdn", CDN, 0, False, False),
    ("upload", UPLOAD, 0, False, True),
    ("list", LIST, 0, False, False),
)

#: (fault name, fault, times, transient: the retries must overcome it).
GENERIC_FAULTS = (
    ("429 Retry-After", Fault.status(429, retry_after=0.1), 1, True),
    ("429 no Retry-After", Fault.status(429), 1, True),
    (
        "429 parallel-job ceiling",
        Fault.status(429, body={"reason": "limit", "details": {"actionName": "model_run", "actionLimit": 1}}),
        1,
        True,
    ),
    ("500", Fault.status(500), 1, True),
    ("502", Fault.status(502), 1, True),
    ("503 twice", Fault.status(503), 2, True),
    ("500 persistent", Fault.status(500), 40, False),
    ("500 after effect", Fault.status(500, after_effect=True), 1, True),
    ("reset before sending", Fault.reset(), 1, True),
    ("reset after effect", Fault.reset(after_effect=True), 1, True),
    ("timeout", Fault.delay(REQUEST_TIMEOUT + 1.0), 1, True),
    ("truncated body", Fault.truncate(after_bytes=10), 1, True),
    ("wrong content type", Fault.malform(content_type="text/html"), 1, True),
    ("not JSON", Fault.malform(raw_body="<html>oops</html>"), 1, True),
    ("empty object", Fault.malform(raw_body="{}"), 1, True),
    ("JSON null", Fault.malform(raw_body="null"), 1, True),
    ("redirect", Fault.redirect("https://elsewhere.example.com/v1/x"), 1, True),
)


def _slot_injections(route: str, fault: Fault, times: int, skip: int, slot: str) -> tuple[Injection, ...]:
    if slot == "list":
        # The listing is only read to recover a submission whose outcome was unknown.
        return (Injection(GENERATE, Fault.status(500, after_effect=True)), Injection(LIST, fault, times))
    return (Injection(route, fault, times, skip),)


def _generic_cases() -> Iterator[Case]:
    for slot, route, skip, budget, image in SLOTS:
        for name, fault, times, transient in GENERIC_FAULTS:
            # On the CDN a wrong type is refused (nothing written) and retried with a fresh URL;
            # elsewhere the hooks read JSON whatever the type says. Both must end in success.
            yield Case(
                name=f"{slot} / {name}",
                injections=_slot_injections(route, fault, times, skip, slot),
                budget=budget,
                image=image,
                must_succeed=transient,
            )


def _edit(route: str, path: str, value: Any, *, times: int = 1, skip: int = 0) -> Injection:
    return Injection(route, Fault.malform(edits={path: value}), times, skip)


MALFORMED = (
    # job answers (polls): a glitch is ridden out, a steady lie fails cleanly
    *(
        Case(
            f"poll / job.{path}={value!r} x{times}",
            (_edit(POLL, f"job.{path}", value, times=times),),
            must_succeed=times < 4,
        )
        for path, value in (
            ("jobId", None),
            ("jobId", ""),
            ("jobId", 123),
            ("jobId", "job_someone_else"),
            ("status", "done"),
            ("status", 7),
            ("status", None),
            ("progress", math.nan),
            ("progress", 1.5),
            ("progress", -0.1),
            ("progress", "0.5"),
            ("metadata.assetIds", "asset"),
            ("metadata.assetIds", {"a": 1}),
            ("metadata.assetIds", [None, 12]),
            ("billing.cuCost", -1),
            ("billing.cuCost", "nan"),
            ("billing.cuCost", True),
            ("billing.cuCost", math.inf),
            ("metadata", "odd"),
        )
        for times in (2, 60)
    ),
    # a success that names no asset, on every answer
    Case("poll / success without assetIds", (_edit(POLL, "job.metadata.assetIds", DELETE, times=60),)),
    Case("poll / success with empty assetIds", (_edit(POLL, "job.metadata.assetIds", [], times=60),)),
    # the dry run: an estimate that is not a finite, non-negative number refuses the submission
    *(
        Case(
            f"dry run / creativeUnitsCost={value!r}",
            (_edit(GENERATE, "creativeUnitsCost", value),),
            budget=True,
        )
        for value in (math.nan, -1, "nan", True, DELETE, math.inf, 10**9)
    ),
    Case(
        "dry run / answered 200 with a job",
        (
            Injection(
                GENERATE,
                Fault.malform(raw_body='{"job": {"jobId": "job_x", "status": "queued"}}', status=200),
            ),
        ),
        budget=True,
    ),
    # the paid submission's answer: the outcome is unknown, the retry finds the job, pays nothing more
    *(
        Case(f"submit / job.jobId={value!r}", (_edit(GENERATE, "job.jobId", value),), must_succeed=True)
        for value in (None, "", 123, DELETE)
    ),
    Case("submit / job missing", (_edit(GENERATE, "job", DELETE),), must_succeed=True),
    Case("submit / creativeUnitsCost=-5", (_edit(GENERATE, "creativeUnitsCost", -5),), must_succeed=True),
    # assets
    *(
        Case(f"get asset / {path}={value!r}", (_edit(ASSET, f"asset.{path}", value),), must_succeed=True)
        for path, value in (
            ("id", "asset_someone_else"),
            ("id", None),
            ("properties.size", -5),
            ("properties.size", "big"),
            ("properties.size", 1.5),
            ("properties", "odd"),
        )
    ),
    Case(
        "get asset / size wrong by one byte x60",
        (Injection(ASSET, Fault.malform(edits={"asset.properties.size": 1}), 60),),
    ),
    *(
        Case(f"download url / url={value!r}", (_edit(DOWNLOAD, "url", value),), must_succeed=True)
        for value in ("ftp://cdn.example.com/a.mp4", DELETE, 42, "http://169.254.169.254/latest/meta-data")
    ),
    Case(
        "download url / metadata address x60", (_edit(DOWNLOAD, "url", "http://169.254.169.254/x", times=60),)
    ),
    # the CDN
    Case(
        "cdn / HTML instead of the video x60", (Injection(CDN, Fault.malform(content_type="text/html"), 60),)
    ),
    Case("cdn / expired URL (403) once", (Injection(CDN, Fault.status(403)),), must_succeed=True),
    Case(
        "cdn / redirect to the metadata address",
        (Injection(CDN, Fault.redirect("http://169.254.169.254/latest/")),),
        must_succeed=True,
    ),
    Case(
        "cdn / redirect to plain http elsewhere x60",
        (Injection(CDN, Fault.redirect("http://cdn.example.com/a.mp4"), 60),),
    ),
    Case("cdn / truncated twice", (Injection(CDN, Fault.truncate(after_bytes=1000), 2),), must_succeed=True),
    # the listing of an unknown outcome: undatable or foreign jobs are never adopted blindly
    Case(
        "list / candidate without createdAt",
        (
            Injection(GENERATE, Fault.status(500, after_effect=True)),
            _edit(LIST, "jobs.0.createdAt", DELETE, times=60),
        ),
    ),
    Case(
        "list / candidate with a naive createdAt",
        (
            Injection(GENERATE, Fault.status(500, after_effect=True)),
            _edit(LIST, "jobs.0.createdAt", "2026-01-01T00:00:00", times=60),
        ),
    ),
    Case(
        "list / malformed job in the listing",
        (
            Injection(GENERATE, Fault.status(500, after_effect=True)),
            _edit(LIST, "jobs.0.status", 7, times=60),
        ),
    ),
    # the image upload
    Case("upload / asset.id missing", (_edit(UPLOAD, "asset.id", DELETE),), image=True, must_succeed=True),
    Case("upload / asset.id with a slash x60", (_edit(UPLOAD, "asset.id", "../../x", times=60),), image=True),
)

CASES = (*_generic_cases(), *MALFORMED)


# --- running a case --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[ScenarioEmulator]:
    with run_emulator(EmulatorConfig(job_duration=0.2)) as emu:
        yield emu


def _run_tries(run_once: Callable[[], Any], outcome: Outcome) -> Any:
    """Run one try after another like Airflow's retries; return the result or ``None``."""
    for _ in range(TRIES):
        try:
            return run_once()
        except AirflowFailException as error:
            outcome.errors.append(f"{type(error).__name__} (no retry): {error}")
            return None
        except AirflowException as error:
            outcome.errors.append(f"{type(error).__name__}: {error}")
        except Exception as error:  # anything else is a bug: never a bare TypeError from deep inside
            outcome.kind = "violation"
            outcome.errors.append(f"{type(error).__name__}: {error}")
            return None
    return None


def run_case(case: Case, emulator: ScenarioEmulator, tmp_path: Path) -> Outcome:
    image = None
    if case.image:
        image = tmp_path / "first-frame.png"
        image.write_bytes(make_png(64, 36))
    for injection in case.injections:
        emulator.inject(injection.fault, route=injection.route, times=injection.times, skip=injection.skip)
    outcome = Outcome(kind="succeeded")
    state = InMemoryTaskState()
    destination = tmp_path / "out"

    def make_generate() -> Veo31GenerateOperator:
        return Veo31GenerateOperator(
            task_id="generate",
            prompt="a fox in the snow",
            duration=4,
            image=str(image) if image else None,
            max_creative_units=1000 if case.budget else None,
            poll_interval=0.05,
            timeout=20,
            deferrable=False,
        )

    def generate_once() -> Any:
        with state.accessor() as accessor:  # each try gets a new accessor over the same task state
            return make_generate().execute(task_context(accessor))

    result = _run_tries(generate_once, outcome)
    stored: list[str] | None = None
    if result is not None and outcome.kind != "violation":

        def make_store() -> ScenarioAssetsToStorageOperator:
            return ScenarioAssetsToStorageOperator(
                task_id="store",
                job_id=result["job_id"],
                destination=destination.as_uri(),
                object_name="{job_id}/{asset_id}.mp4",
                asset_alias=None,
                max_attempts=3,
            )

        stored = _run_tries(lambda: make_store().execute({}), outcome)
    emulator.clear_faults()
    return _judge(outcome, emulator, destination, result, stored)


def _judge(
    outcome: Outcome, emulator: ScenarioEmulator, destination: Path, result: Any, stored: list[str] | None
) -> Outcome:
    if outcome.kind == "violation":
        return outcome
    paid = emulator.paid_submissions
    files = sorted(path for path in destination.rglob("*") if path.is_file()) if destination.exists() else []
    partial = [path.name for path in files if PARTIAL_MARKER in path.name]
    if paid > 1:
        return Outcome("violation", f"{paid} paid submissions", outcome.errors)
    if partial:
        return Outcome("violation", f"partial objects left: {partial}", outcome.errors)
    videos = [path for path in files if path.suffix == ".mp4"]
    for video in videos:
        asset_id = video.stem
        expected = _true_sha256(asset_id)
        if hashlib.sha256(video.read_bytes()).hexdigest() != expected:
            return Outcome("violation", f"{video.name} differs from the asset's bytes", outcome.errors)
        if not video.with_name(video.name + ".json").exists():
            return Outcome("violation", f"{video.name} has no sidecar", outcome.errors)
    if stored is None:
        return Outcome("failed cleanly", outcome.errors[-1] if outcome.errors else "", outcome.errors)
    if paid != 1 or len(videos) != 1 or result["asset_ids"] != [videos[0].stem]:
        return Outcome("violation", f"success with {paid} payments and {len(videos)} videos", outcome.errors)
    return Outcome("succeeded", "", outcome.errors)


def _true_sha256(asset_id: str) -> str:
    url = ScenarioHook().get_download_url(asset_id)
    with requests.get(url, timeout=30) as response:
        response.raise_for_status()
        return hashlib.sha256(response.content).hexdigest()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fault_case_ends_in_success_or_a_clean_failure(
    case: Case,
    emulator: ScenarioEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Any,
) -> None:
    emulator.reset()
    monkeypatch.setenv(
        "AIRFLOW_CONN_SCENARIO_DEFAULT", emulator.airflow_connection(extra={"timeout": REQUEST_TIMEOUT})
    )
    outcome = run_case(case, emulator, tmp_path)
    record_property("fault_outcome", outcome.kind)
    assert outcome.kind != "violation", f"{outcome.detail}; errors: {outcome.errors}"
    if case.must_succeed:
        assert outcome.kind == "succeeded", f"a transient fault was not overcome: {outcome.errors}"
    else:
        assert emulator.paid_submissions <= 1


def test_the_matrix_is_large_enough() -> None:
    assert len(CASES) >= 150
