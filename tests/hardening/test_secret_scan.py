"""Secret scan: the example DAGs run with distinctive credentials at DEBUG; nothing of ours leaks them.

Each example DAG runs with ``dag.test()`` (tasks through the Task SDK supervisor, triggers in line)
against an emulator that accepts only a distinctive key and secret, with every logger at DEBUG
(urllib3's request lines included). Scanned: everything printed (stdout, stderr), every log record
(stdlib and structlog), every XCom and rendered template field of the run, the serialized triggers,
and the text of an exception raised when the API echoes the credentials back. Searched for: the key,
the secret, the Basic token, and the signature of every signed CDN URL of the run.

Airflow 3.3.2 itself logs the values handed to ``mask_secret`` at DEBUG (the supervisor's
``MaskSecret`` message, line ``sending request ... MaskSecret``): those lines are Airflow's, not
ours, so they are counted apart and reported, and every other occurrence fails the test.
"""

from __future__ import annotations

import base64
import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import structlog.testing
from airflow.models.renderedtifields import RenderedTaskInstanceFields
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

from airflow_provider_veo.exceptions import ScenarioError
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.testing import EmulatorConfig, Fault, ScenarioEmulator, run_emulator
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from tests.support.airflow_db import init_airflow_db

KEY = "AKscan7f3e9c1d40b2"
SECRET = "SKscanb81f04aa2e5c97"
TOKEN = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
AIRFLOW_MASK_SECRET_MARKERS = ("MaskSecret",)


@pytest.fixture(scope="module")
def emulator() -> Iterator[ScenarioEmulator]:
    with run_emulator(
        EmulatorConfig(job_duration=0.5, api_key=KEY, api_secret=SECRET, strict_credentials=True)
    ) as emu:
        yield emu


def _load_dag(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"secret_scan_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


def _run_texts(dag_run: Any) -> list[str]:
    with create_session() as session:
        xcoms = session.query(XComModel).filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id).all()
        rendered = (
            session.query(RenderedTaskInstanceFields)
            .filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id)
            .all()
        )
        return [f"xcom {row.key}: {row.value!r}" for row in xcoms] + [
            f"rendered {row.task_id}: {row.rendered_fields!r}" for row in rendered
        ]


def _signatures(emulator: ScenarioEmulator) -> set[str]:
    hook = ScenarioHook()
    signatures = set()
    for job_id in emulator.job_ids():
        for asset_id in emulator.job(job_id)["metadata"]["assetIds"]:
            query = parse_qs(urlsplit(hook.get_download_url(asset_id)).query)
            signatures.update(query.get("Signature", []))
    return signatures


def _occurrences(texts: list[str], needles: dict[str, str]) -> tuple[list[str], int]:
    ours, airflows = [], 0
    for text in texts:
        for line in text.splitlines() or [text]:
            found = [name for name, needle in needles.items() if needle and needle in line]
            if not found:
                continue
            if any(marker in line for marker in AIRFLOW_MASK_SECRET_MARKERS):
                airflows += 1
            else:
                ours.append(f"{found}: {line[:300]}")
    return ours, airflows


@pytest.mark.parametrize(
    ("example", "conf"),
    [
        ("veo31_generate_to_storage", {"destination": "{out}"}),
        ("veo31_submit_then_sense", {}),
    ],
)
def test_examples_at_debug_leak_no_credential_or_signature(
    example: str,
    conf: dict[str, str],
    emulator: ScenarioEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    init_airflow_db()
    emulator.reset()
    monkeypatch.setenv("AIRFLOW_CONN_SCENARIO_DEFAULT", emulator.airflow_connection())
    monkeypatch.setenv("AIRFLOW__LOGGING__LOGGING_LEVEL", "DEBUG")
    dag = _load_dag(example)
    collect = _Collect()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    for name in ("urllib3", "aiohttp", "airflow", "airflow_provider_veo"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.DEBUG)
    try:
        with structlog.testing.capture_logs() as entries:
            run_conf = {key: value.format(out=(tmp_path / "out").as_uri()) for key, value in conf.items()}
            dag_run = dag.test(run_conf=run_conf)
    finally:
        root.removeHandler(collect)
        root.setLevel(previous_level)
    out, err = capfd.readouterr()
    assert dag_run.state == "success", out[-3000:] + err[-3000:]
    assert emulator.paid_submissions >= 1

    signatures = _signatures(emulator)
    assert signatures, "the run issued signed URLs"
    needles = {"key": KEY, "secret": SECRET, "basic token": TOKEN}
    needles.update({f"signature {i}": sig for i, sig in enumerate(sorted(signatures))})
    texts = [out, err, *collect.lines, *(repr(entry) for entry in entries), *_run_texts(dag_run)]
    assert sum(len(text) for text in texts) > 10_000, "DEBUG output was captured"
    assert _occurrences([f"a leak: {SECRET}", f"a signed URL: ?Signature={min(signatures)}"], needles)[0]
    ours, airflows = _occurrences(texts, needles)
    print(
        f"secret scan {example}: {len(texts)} texts scanned, ours={len(ours)}, Airflow MaskSecret={airflows}"
    )
    assert ours == []


def test_serialized_triggers_and_echoed_errors_carry_no_credential(
    emulator: ScenarioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.reset()
    monkeypatch.setenv("AIRFLOW_CONN_SCENARIO_DEFAULT", emulator.airflow_connection())
    hook = ScenarioHook()
    assert hook.settings.api_key == KEY  # credentials resolved (and registered with the masker)
    trigger = JobCompleteTrigger(job_id="job_1", end_time=2e9)
    assert all(s not in repr(trigger.serialize()) for s in (KEY, SECRET, TOKEN))

    # A server echoing the credentials, also across the 500-character cut of error bodies.
    echo = "x" * 490 + f"{TOKEN} key={KEY} secret={SECRET}"
    emulator.inject(Fault.status(400, body={"reason": echo, "hint": echo}), route="GET /jobs/{jobId}")
    with pytest.raises(ScenarioError) as raised:
        hook.get_job("job_echo")
    text = f"{raised.value} {raised.value!r} {vars(raised.value)}"
    for secret in (KEY, SECRET, TOKEN, TOKEN[:12], SECRET[:8]):
        assert secret not in text
