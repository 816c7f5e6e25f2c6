"""One polling run: N triggers of one implementation in one asyncio loop (run as its own process).

Prints one JSON line: polls, TCP connections, client CPU, RSS growth and finish->event delays.
``ours`` = JobCompleteTrigger (shared aiohttp pool); ``baseline`` = the http provider's
HttpEventTrigger with a response check (a new session and TCP connection per poll).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import statistics
import threading
import time
import urllib.request
from typing import Any

import psutil


def _stats(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=10) as response:
        result: dict[str, float] = json.loads(response.read())
        return result


def make_trigger(impl: str, job_id: str, interval: float, end_time: float) -> Any:
    if impl == "ours":
        from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger

        return JobCompleteTrigger(job_id=job_id, poll_interval=interval, end_time=end_time)
    from airflow.providers.http.triggers.http import HttpEventTrigger

    return HttpEventTrigger(
        response_check_path="_anchor_check.job_done",
        http_conn_id="http_default",
        method="GET",
        endpoint=f"v1/jobs/{job_id}",
        poll_interval=interval,
    )


def is_success(impl: str, payload: dict[str, Any]) -> bool:
    return bool(payload.get("status") == "success") if impl == "ours" else "response" in payload


async def consume(
    trigger: Any, jitter: float, finish: float, out: list[tuple[float, bool]], impl: str
) -> None:
    await asyncio.sleep(jitter)
    events = trigger.run()
    event = await events.__anext__()
    delay = time.time() - finish
    await events.aclose()
    out.append((delay, is_success(impl, event.payload)))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    warm: list[tuple[float, bool]] = []
    now = time.time()
    await consume(
        make_trigger(args.impl, f"job-w-{int(now * 1000)}", args.interval, now + 600), 0, now, warm, args.impl
    )
    gc.collect()
    process = psutil.Process()
    rss0 = process.memory_info().rss
    peak = [rss0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    s0 = _stats(args.port)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.time()
    out: list[tuple[float, bool]] = []
    tasks = []
    for i in range(args.n):
        finish_ms = int((t0 + rng.uniform(2.0, 20.0)) * 1000)
        trigger = make_trigger(args.impl, f"job-{i}-{finish_ms}", args.interval, t0 + 600)
        coro = consume(trigger, rng.uniform(0.0, args.interval), finish_ms / 1000, out, args.impl)
        tasks.append(asyncio.ensure_future(coro))
    _done, pending = await asyncio.wait(tasks, timeout=120)
    for task in pending:
        task.cancel()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    s1 = _stats(args.port)
    stop.set()
    sampler.join()
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    polls = s1["job_reqs"] - s0["job_reqs"]
    conns = s1["job_conns"] - s0["job_conns"]
    delays = sorted(d for d, _ in out)
    quantiles = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else [0.0] * 99
    return {
        "impl": args.impl,
        "n": args.n,
        "finished": len(out),
        "succeeded": sum(ok for _, ok in out),
        "polls": polls,
        "polls_per_trigger": polls / args.n,
        "conns": conns,
        "conns_per_poll": conns / polls if polls else 0.0,
        "cpu_s": cpu,
        "cpu_ms_per_poll": 1000 * cpu / polls if polls else 0.0,
        "rss_growth_mib": (peak[0] - rss0) / 2**20,
        "delay_p50": quantiles[49],
        "delay_p99": quantiles[98],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=("ours", "baseline"), required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    os.environ["AIRFLOW_CONN_HTTP_DEFAULT"] = base
    os.environ["AIRFLOW_CONN_SCENARIO_DEFAULT"] = json.dumps(
        {"conn_type": "scenario", "login": "bench-key", "password": "bench-secret", "host": f"{base}/v1"}
    )
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
