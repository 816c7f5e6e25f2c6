"""Run the compatibility suite (tests/compat) on the latest patch of each older Airflow line.

Each line gets its own uv venv under ``.compat/``, built from its lock ``compat/locks/airflow-<line>.txt``
plus this checkout installed editable without dependencies; a venv whose lock is unchanged is reused.
The locked version of the main venv (requirements-dev.lock) is proven by the full suite instead.

    python scripts/compat_matrix.py            # every line (``make compat``)
    python scripts/compat_matrix.py 3.1        # one line
    python scripts/compat_matrix.py --lock     # re-resolve the locks (needs the package index)

Locks: Airflow's own dependencies as they stood the day after the release (``uv --exclude-newer``;
unconstrained, 3.0.6 and 3.2.2 pick a fastapi/cadwyn/universal-pathlib that breaks them), providers
current, the overrides of ``compat/overrides.txt`` applied.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENVS = ROOT / ".compat"
PYTHON = "3.11"
#: line -> (latest patch, the day after its release)
LINES = {
    "3.0": ("3.0.6", "2025-08-30"),
    "3.1": ("3.1.8", "2026-03-12"),
    "3.2": ("3.2.2", "2026-05-30"),
}


def uv() -> str:
    local = ROOT / ".venv" / "bin" / "uv"
    found = os.environ.get("UV") or (str(local) if local.exists() else shutil.which("uv"))
    if not found:
        sys.exit("uv not found: run `make setup` first")
    return found


def lock_path(line: str) -> Path:
    return ROOT / "compat" / "locks" / f"airflow-{line}.txt"


def _requirements(path: Path) -> list[tuple[str, str, str]]:
    """``(name, operator, version)`` of each line of a simple requirements file."""
    rows = []
    for text in path.read_text().splitlines():
        text = text.split("#")[0].strip()
        if text:
            name, op, version = re.match(r"([A-Za-z0-9_.-]+)\s*([<>=!~]+)\s*(\S+)", text).groups()
            rows.append((name.lower(), op, version))
    return rows


def lock(line: str) -> None:
    version, day = LINES[line]
    raw = subprocess.run(
        [
            *(uv(), "pip", "compile", "-q", "--no-header", "-"),
            *("--exclude-newer", day, "--python-version", PYTHON),
        ],
        input=f"apache-airflow=={version}\n",
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    overridden = {name for name, _, _ in _requirements(ROOT / "compat" / "overrides.txt")}
    airflow_deps = [
        pin
        for pin in raw.splitlines()
        if not pin.startswith("apache-airflow-providers-") and pin.split("==")[0] not in overridden
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as constraints:
        constraints.write("\n".join(airflow_deps) + "\n")
        constraints.flush()
        subprocess.run(
            [
                *(uv(), "pip", "compile", "-q", "pyproject.toml", "compat/test-requirements.in"),
                *("-c", constraints.name, "--override", "compat/overrides.txt", "--python-version", PYTHON),
                *("--custom-compile-command", f"python scripts/compat_matrix.py --lock {line}"),
                *("-o", str(lock_path(line).relative_to(ROOT))),
            ],
            check=True,
            cwd=ROOT,
        )
    print(f"{lock_path(line).relative_to(ROOT)}: apache-airflow=={version}, Airflow deps as of {day}")


def build(line: str) -> tuple[Path, float | None]:
    """The line's venv and its build time in seconds (``None``: reused, its lock unchanged)."""
    venv = VENVS / f"airflow-{line}"
    python = venv / "bin" / "python"
    digest = hashlib.sha256(lock_path(line).read_bytes()).hexdigest()
    stamp = venv / ".lock-sha256"
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python, None
    started = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([uv(), "venv", "-q", "--python", PYTHON, str(venv)], check=True)
    install = [uv(), "pip", "install", "-q", "--python", str(python)]
    subprocess.run([*install, "-r", str(lock_path(line))], check=True, cwd=ROOT)
    subprocess.run([*install, "--no-deps", "-e", "."], check=True, cwd=ROOT)
    stamp.write_text(digest)
    return python, time.monotonic() - started


def run_line(line: str, pytest_args: list[str]) -> tuple[bool, str]:
    """Build the line's venv and run the suite in it: ``(passed, table row)``; a failure prints its output."""
    python, built = build(line)
    started = time.monotonic()
    result = subprocess.run(
        [str(python), "-m", "pytest", "tests/compat", "-q", "--durations=5", *pytest_args],
        env={**os.environ, "VEO_COMPAT_SUITE": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    summary = (result.stdout.strip().splitlines() or ["no output"])[-1]
    if result.returncode:
        print(f"--- Airflow {LINES[line][0]} ---", result.stdout[-20000:], result.stderr[-5000:], sep="\n")
    build_text = "reused" if built is None else f"{built:.1f} s"
    return result.returncode == 0, f"| {LINES[line][0]} | {build_text} | {summary} | {elapsed:.1f} s |"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("lines", nargs="*", choices=[[], *LINES], default=[])
    parser.add_argument("--lock", action="store_true", help="re-resolve the locks instead of testing")
    parser.add_argument("--jobs", type=int, default=len(LINES), help="lines run at once (default: all)")
    parser.add_argument("--pytest-args", default="", help="extra pytest arguments, space separated")
    args = parser.parse_args()
    lines = args.lines or list(LINES)
    if args.lock:
        for line in lines:
            lock(line)
        return 0

    started = time.monotonic()
    # Most of a suite's time is waiting (jobs, triggers, task start-up), so the lines overlap well.
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda line: run_line(line, args.pytest_args.split()), lines))
    print("| Airflow | venv build | compat suite | suite time |\n|---|---|---|---|")
    print("\n".join(row for _, row in results))
    print(f"matrix: {time.monotonic() - started:.0f} s with {args.jobs} line(s) at once")
    return 0 if all(passed for passed, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
