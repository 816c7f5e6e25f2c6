"""Storage servers run as child processes on 127.0.0.1 for the duration of a test session."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def child_server(
    command: Callable[[int], Sequence[str | Path]], *, name: str, timeout: float = 60.0
) -> Iterator[str]:
    """Start ``command(port)`` and yield ``http://127.0.0.1:<port>`` once it accepts connections.

    The process is terminated (killed if it does not stop) when the block ends, also on failure.
    """
    port = free_port()
    with tempfile.TemporaryFile() as log:  # a pipe nobody reads would block a chatty server
        process = subprocess.Popen([str(part) for part in command(port)], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + timeout
            while not _accepts(port):
                if process.poll() is not None:
                    log.seek(0)
                    output = log.read().decode(errors="replace")
                    raise RuntimeError(f"{name} exited with {process.returncode}: {output[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")
                time.sleep(0.02)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True
