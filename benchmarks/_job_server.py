"""A minimal keep-alive HTTP/1.1 job server for the polling benchmark (run as its own process).

Same design as the baseline measurement in anchor-baselines.md: a raw asyncio protocol whose job ids
encode their finish time (``job-<i>-<finish_epoch_ms>``); it counts accepted TCP connections and job
requests, and ``GET /_stats`` returns the counters. Answers ``{"job": {...}}`` in Scenario's shape.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

STATS = {"accepted": 0, "job_conns": 0, "job_reqs": 0, "list_reqs": 0}
#: job id -> finish epoch, for every job read once (what ``GET /v1/jobs`` can list).
KNOWN: dict[str, float] = {}
STARTED = time.time()


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"


def _parse_iso(text: str) -> float:
    import calendar

    head, _, millis = text.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S")) + int(millis or 0) / 1000


def _listing(query: str) -> dict[str, object]:
    """``GET /v1/jobs?type=custom&updatedAfter=...``: jobs updated (finished) after the cursor, one page."""
    from urllib.parse import parse_qs

    params = {key: values[0] for key, values in parse_qs(query).items()}
    after = _parse_iso(params["updatedAfter"]) if "updatedAfter" in params else 0.0
    now = time.time()
    updated = sorted(
        ((finish, job_id) for job_id, finish in KNOWN.items() if after < finish <= now), reverse=True
    )
    start = int(params.get("paginationToken", "0"))
    size = int(params.get("pageSize", "50"))
    page = [_job(job_id, True)["job"] for _, job_id in updated[start : start + size]]
    result: dict[str, object] = {"jobs": page}
    if start + size < len(updated):
        result["nextPaginationToken"] = str(start + size)
    return result


def _job(job_id: str, done: bool) -> dict[str, object]:
    finish = KNOWN.get(job_id, STARTED)
    return {
        "job": {
            "jobId": job_id,
            "jobType": "custom",
            "status": "success" if done else "in-progress",
            "progress": 1.0 if done else 0.5,
            "statusHistory": [],
            "metadata": {
                "assetIds": ["asset_bench"] if done else [],
                "error": None,
                "hint": None,
                "input": {},
            },
            "billing": {"cuCost": 10 if done else 0, "cuDiscount": 0},
            "createdAt": _iso(STARTED),
            "updatedAt": _iso(finish if done else STARTED),
        }
    }


class JobProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        self.counted = False
        STATS["accepted"] += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            request_line = head.split(b"\r\n", 1)[0]
            target = request_line.split(b" ")[1].decode()
            path, _, query = target.partition("?")
            if path == "/_stats":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                self._send(200, {**STATS, "cpu": usage.ru_utime + usage.ru_stime})
            elif "/jobs/" in path:
                if not self.counted:
                    self.counted = True
                    STATS["job_conns"] += 1
                STATS["job_reqs"] += 1
                job_id = path.rsplit("/", 1)[1]
                finish = KNOWN.setdefault(job_id, int(job_id.rsplit("-", 1)[1]) / 1000.0)
                self._send(200, _job(job_id, time.time() >= finish))
            elif path == "/_register":  # the benchmark announces its jobs, as the API knows them all
                from urllib.parse import parse_qs

                for job_id in parse_qs(query).get("ids", [""])[0].split(","):
                    if job_id:
                        KNOWN[job_id] = int(job_id.rsplit("-", 1)[1]) / 1000.0
                self._send(200, {"known": len(KNOWN)})
            elif path.endswith("/jobs"):
                STATS["list_reqs"] += 1
                self._send(200, _listing(query))
            else:
                self._send(404, {"reason": "not found"})

    def _send(self, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        reason = b"OK" if status == 200 else b"Not Found"
        head = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        self.transport.write(head % (status, reason, len(payload)) + payload)


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(JobProtocol, "127.0.0.1", port, backlog=4096)
    print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
