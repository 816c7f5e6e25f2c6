"""`make bench` in miniature: each section's harness still runs and writes its table with the ratios.

Tiny inputs (`run_all.py --smoke`), so the figures mean nothing and are not checked; what is checked
is that every baseline and our implementation ran and were put side by side.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.optional import S3_AVAILABLE, S3_MISSING_REASON

RUN_ALL = Path(__file__).resolve().parents[1] / "benchmarks" / "run_all.py"
RATIO = r"\d+\.\d\dx"


def _smoke(section: str, tmp_path: Path) -> str:
    output = tmp_path / "RESULTS.md"
    subprocess.run(
        [sys.executable, str(RUN_ALL), "--smoke", "--only", section, "--output", str(output)],
        env={**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow_home")},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    text = output.read_text()
    assert "- Machine: " in text
    assert f"- Command: `python benchmarks/run_all.py --smoke --only {section} --output {output}`" in text
    return text


def _rows(text: str, first_cell: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith(f"| {first_cell}")
    ]


@pytest.mark.skipif(not S3_AVAILABLE, reason=S3_MISSING_REASON)
def test_transfer_section_puts_ours_next_to_both_baselines(tmp_path: Path) -> None:
    text = _smoke("transfer", tmp_path)

    assert "## Transfer" in text
    assert (
        "| store | size | **ours** MB/s | stream MB/s | buffered MB/s | ours / stream | ours / buffered |"
        in text
    )
    rows = _rows(text, "file") + _rows(text, "s3")
    assert [(row[0], row[1]) for row in rows] == [("file", "10 MiB"), ("s3", "10 MiB")]
    for row in rows:
        assert re.fullmatch(RATIO, row[5]), row
        assert re.fullmatch(RATIO, row[6]), row
        assert re.search(r"(met|NOT met)$", row[-1]), row


def test_triggers_section_puts_ours_next_to_the_http_provider(tmp_path: Path) -> None:
    text = _smoke("triggers", tmp_path)

    assert "## Triggers" in text
    baseline = _rows(text, "baseline (HttpEventTrigger)")[0]
    per_job = _rows(text, "ours, per job")[0]
    coalesced = _rows(text, "**ours, coalesced (default)**")[0]
    assert baseline[1] == per_job[1] == coalesced[1] == "5"
    assert baseline[10] == per_job[10] == coalesced[10] == "5/5"  # every trigger got its event
    assert float(baseline[4]) == 1.0  # the baseline opens a connection per poll; that is its point
    for ours in (per_job, coalesced):
        assert all(re.fullmatch(RATIO, cell) for cell in ours[-3:]), ours
    # coalesced triggers read their own job far less often than per-job ones
    assert float(coalesced[3]) < float(per_job[3])
