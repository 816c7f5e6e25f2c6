"""Triggerer polling: JobCompleteTrigger against the stock HttpEventTrigger, side by side in one run.

For each N, both implementations run against a fresh job server (its own process) in their own
client process, with jobs finishing at U(2, 20) s and a 1 s poll interval (the stress setting of
anchor-baselines.md). Prints a table and the baseline/ours ratios.

    python benchmarks/trigger_polling.py --n 100 1000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
IMPLEMENTATIONS = ("baseline", "ours")
COLUMNS = (
    "polls_per_trigger",
    "conns_per_poll",
    "cpu_ms_per_poll",
    "rss_growth_mib",
    "delay_p50",
    "delay_p99",
)


def one_run(impl: str, n: int, seed: int, interval: float, env: dict[str, str]) -> dict[str, Any]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "_job_server.py"), "0"], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        command = [sys.executable, str(HERE / "_poll_client.py"), "--impl", impl, "--n", str(n)]
        command += ["--port", str(port), "--seed", str(seed), "--interval", str(interval)]
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(HERE), "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
    env.setdefault("AIRFLOW_HOME", str(HERE / "results" / "airflow_home"))
    results: dict[tuple[str, int], dict[str, Any]] = {}
    print(f"{'impl':<9} {'N':>5} " + " ".join(f"{c:>17}" for c in COLUMNS) + "   ok")
    for n in args.n:
        for impl in IMPLEMENTATIONS:
            r = results[(impl, n)] = one_run(impl, n, args.seed, args.interval, env)
            print(
                f"{impl:<9} {n:>5} "
                + " ".join(f"{r[c]:>17.4f}" for c in COLUMNS)
                + f"   {r['succeeded']}/{r['n']}"
            )
    print("\nratios baseline / ours (higher = ours better):")
    for n in args.n:
        base, ours = results[("baseline", n)], results[("ours", n)]
        parts = []
        for column in ("cpu_ms_per_poll", "conns_per_poll", "delay_p99"):
            ratio = base[column] / ours[column] if ours[column] else float("inf")
            parts.append(f"{column} {ratio:.1f}x")
        print(f"  N={n}: " + ", ".join(parts))


if __name__ == "__main__":
    main()
