"""`make bench`'s batch section in miniature: a real Airflow, a mapped batch against the ceiling, its table.

Tiny inputs (4 prompts, a ceiling of 2, 2 s jobs): the figures mean nothing; what is checked is that the
harness ran the batch to the end on a real deployment and reported every column.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RUN_ALL = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"


def test_batch_section_runs_a_real_airflow_and_reports_the_makespan(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    subprocess.run(
        [sys.executable, str(RUN_ALL), "--smoke", "--only", "batch", "--output", str(output)],
        env={**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow_home")},
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    text = output.read_text()
    assert "## Batch" in text
    (row,) = [line for line in text.splitlines() if line.startswith("| 4 |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "2"  # the ceiling
    assert float(cells[5]) > 1.0  # makespan / ideal: never faster than the ceiling allows
    assert cells[6:9] == ["0", "4", "4"]  # no failed task, one payment per prompt, every video landed
