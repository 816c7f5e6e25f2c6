"""Triggerer polling: JobCompleteTrigger (coalesced, per job) against the stock HttpEventTrigger, in one run.

For each N, both implementations run against a fresh job server (its own process) in their own
client process, with jobs finishing at U(2, 20) s and a 1 s poll interval (the stress setting of
anchor-baselines.md). Prints a markdown table and the baseline/ours ratios.

    python benchmarks/trigger_polling.py --n 100 1000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _report import Section, markdown_table, ratio

HERE = Path(__file__).resolve().parent
IMPLEMENTATIONS = ("baseline", "per_job", "coalesced")
LABELS = {
    "baseline": "baseline (HttpEventTrigger)",
    "per_job": "ours, per job",
    "coalesced": "**ours, coalesced (default)**",
}
N_VALUES = (100, 1000, 10000)
COLUMNS = {
    "requests_per_interval": ("API requests / interval", "{:.0f}"),
    "polls_per_trigger": ("per-job reads / trigger", "{:.1f}"),
    "conns_per_poll": ("TCP conns / poll", "{:.4f}"),
    "cpu_ms_per_poll": ("CPU ms / request", "{:.2f}"),
    "cpu_ms_per_trigger": ("CPU ms / trigger", "{:.1f}"),
    "rss_growth_mib": ("RSS growth MiB", "{:.1f}"),
    "delay_p50": ("delay p50 s", "{:.2f}"),
    "delay_p99": ("delay p99 s", "{:.2f}"),
}
#: Ratios baseline / ours (higher = ours better).
RATIOS = ("requests_per_interval", "cpu_ms_per_trigger", "delay_p99")


def one_run(
    impl: str, n: int, *, seed: int, interval: float, finish: tuple[float, float], env: dict[str, str]
) -> dict[str, Any]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "_job_server.py"), "0"], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        command = [sys.executable, str(HERE / "_poll_client.py"), "--impl", impl, "--n", str(n)]
        command += ["--port", str(port), "--seed", str(seed), "--interval", str(interval)]
        command += ["--finish-min", str(finish[0]), "--finish-max", str(finish[1])]
        client = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=True,
        )
        result: dict[str, Any] = json.loads(client.stdout.strip().splitlines()[-1])
        return result
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(
    n_values: Sequence[int],
    *,
    interval: float = 1.0,
    seed: int = 1,
    finish: tuple[float, float] = (2.0, 20.0),
) -> str:
    env = {**os.environ, "PYTHONPATH": str(HERE), "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
    env.setdefault("AIRFLOW_HOME", str(HERE / "results" / "airflow_home"))
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for n in n_values:
        for impl in IMPLEMENTATIONS:
            r = results[(impl, n)] = one_run(impl, n, seed=seed, interval=interval, finish=finish, env=env)
            print(f"{impl} N={n}: {json.dumps(r)}", file=sys.stderr, flush=True)
    header = ["impl", "N", *(title for title, _ in COLUMNS.values()), "succeeded"]
    header += [f"{COLUMNS[c][0]}: baseline / ours" for c in RATIOS]
    rows = []
    for n in n_values:
        base = results[("baseline", n)]
        for impl in IMPLEMENTATIONS:
            r = results[(impl, n)]
            row = [LABELS[impl], n, *(fmt.format(r[c]) for c, (_, fmt) in COLUMNS.items())]
            row.append(f"{r['succeeded']}/{r['n']}")
            row += [ratio(base[c], r[c]) if impl != "baseline" else "" for c in RATIOS]
            rows.append(row)
    return (
        f"One run per cell; poll interval {interval:g} s, jobs finishing at U({finish[0]:g}, "
        f"{finish[1]:g}) s, N triggers in one asyncio loop (as in the triggerer), each implementation "
        "in its own client process against a fresh keep-alive job server (its own process), the "
        "method of anchor-baselines.md §A; the job server also answers the coalesced watcher's "
        "listing (`GET /v1/jobs?type=custom&updatedAfter=...`, pages of 100). Per job, a 1 s cadence "
        f"gives about {(finish[0] + finish[1]) / 2 / interval + 1:.0f} reads per trigger; fewer means "
        "the loop fell behind. Coalesced triggers read their own job only first, to confirm an outcome "
        "and after silences. Targets for coalesced at N = 10,000: p99 <= interval + 1 s, requests per "
        "interval <= N/100 + 10. Ratios are baseline / ours (higher = ours better).\n\n"
        + markdown_table(header, rows)
    )


def section(smoke: bool) -> str:
    if smoke:
        return report([5], interval=0.2, finish=(0.2, 1.0))
    return report(N_VALUES)


SECTION = Section(name="triggers", title="Triggers: waiting for N jobs in the triggerer", run=section)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=list(N_VALUES))
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(report(args.n, interval=args.interval, seed=args.seed))


if __name__ == "__main__":
    main()
