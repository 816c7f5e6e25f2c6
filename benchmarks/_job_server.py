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

STATS = {"accepted": 0, "job_conns": 0, "job_reqs": 0}


def _job(job_id: str, done: bool) -> dict[str, object]:
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
            "createdAt": "2026-11-24T00:00:00.000Z",
            "updatedAt": "2026-11-24T00:00:00.000Z",
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
            path = request_line.split(b" ")[1].split(b"?", 1)[0].decode()
            if path == "/_stats":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                self._send(200, {**STATS, "cpu": usage.ru_utime + usage.ru_stime})
            elif "/jobs/" in path:
                if not self.counted:
                    self.counted = True
                    STATS["job_conns"] += 1
                STATS["job_reqs"] += 1
                job_id = path.rsplit("/", 1)[1]
                finish = int(job_id.rsplit("-", 1)[1]) / 1000.0
                self._send(200, _job(job_id, time.time() >= finish))
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
