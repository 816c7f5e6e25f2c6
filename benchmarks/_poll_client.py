"""One polling run: N triggers of one implementation in one asyncio loop (run as its own process).

Prints one JSON line: polls, TCP connections, client CPU, RSS growth and finish->event delays.
``coalesced`` = JobCompleteTrigger's default (one shared listing per interval, per-job safety nets);
``per_job`` = JobCompleteTrigger with ``polling="per_job"`` (shared aiohttp pool); ``baseline`` = the
http provider's HttpEventTrigger with a response check (a new session and TCP connection per poll).
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


def _register(port: int, job_ids: list[str]) -> None:
    url = f"http://127.0.0.1:{port}/_register?ids={','.join(job_ids)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()


def make_trigger(impl: str, job_id: str, interval: float, end_time: float) -> Any:
    if impl in ("coalesced", "per_job"):
        from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger

        return JobCompleteTrigger(job_id=job_id, poll_interval=interval, end_time=end_time, polling=impl)
    from airflow.providers.http.triggers.http import HttpEventTrigger

    return HttpEventTrigger(
        response_check_path="_anchor_check.job_done",
        http_conn_id="http_default",
        method="GET",
        endpoint=f"v1/jobs/{job_id}",
        poll_interval=interval,
    )


def is_success(impl: str, payload: dict[str, Any]) -> bool:
    return bool(payload.get("status") == "success") if impl != "baseline" else "response" in payload


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
    t0 = time.time()
    job_ids = [
        f"job-{i}-{int((t0 + rng.uniform(args.finish_min, args.finish_max)) * 1000)}" for i in range(args.n)
    ]
    for start in range(0, len(job_ids), 200):  # the server knows every job, as the API does
        _register(args.port, job_ids[start : start + 200])
    s0 = _stats(args.port)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    out: list[tuple[float, bool]] = []
    tasks = []
    for job_id in job_ids:
        finish_ms = int(job_id.rsplit("-", 1)[1])
        trigger = make_trigger(args.impl, job_id, args.interval, t0 + 600)
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
    lists = s1["list_reqs"] - s0["list_reqs"]
    requests = polls + lists
    elapsed = time.time() - t0
    conns = s1["job_conns"] - s0["job_conns"]
    delays = sorted(d for d, _ in out)
    quantiles = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else [0.0] * 99
    return {
        "impl": args.impl,
        "n": args.n,
        "finished": len(out),
        "succeeded": sum(ok for _, ok in out),
        "polls": polls,
        "lists": lists,
        "polls_per_trigger": polls / args.n,
        "requests_per_interval": requests / (elapsed / args.interval) if elapsed else 0.0,
        "conns": conns,
        "conns_per_poll": conns / polls if polls else 0.0,
        "cpu_s": cpu,
        "cpu_ms_per_poll": 1000 * cpu / requests if requests else 0.0,
        "cpu_ms_per_trigger": 1000 * cpu / args.n,
        "rss_growth_mib": (peak[0] - rss0) / 2**20,
        "delay_p50": quantiles[49],
        "delay_p99": quantiles[98],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=("coalesced", "per_job", "baseline"), required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--finish-min", type=float, default=2.0, help="jobs finish at U(min, max) s")
    parser.add_argument("--finish-max", type=float, default=20.0)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    os.environ["AIRFLOW_CONN_HTTP_DEFAULT"] = base
    os.environ["AIRFLOW_CONN_SCENARIO_DEFAULT"] = json.dumps(
        {"conn_type": "scenario", "login": "bench-key", "password": "bench-secret", "host": f"{base}/v1"}
    )
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
