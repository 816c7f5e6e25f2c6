"""What every benchmark section shares: the section record, markdown tables, ratios, the machine."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata


@dataclass(frozen=True)
class Section:
    """One table of RESULTS.md: ``run(smoke)`` measures and returns its markdown.

    ``smoke=True`` runs the same harness on tiny inputs in seconds (``make test`` checks that it
    still produces its table); the figures are then meaningless.
    """

    name: str
    title: str
    run: Callable[[bool], str]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(numerator: float, denominator: float) -> str:
    """``numerator / denominator`` as ``1.23x`` (``inf`` when the denominator is 0)."""
    return f"{numerator / denominator:.2f}x" if denominator else "inf"


def machine() -> str:
    """One line: CPU model and cores, memory, OS, Python, and the versions that matter here."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    versions = []
    for package in ("apache-airflow-core", "s3fs", "boto3", "moto", "requests", "aiohttp"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{package} {metadata.version(package)}")
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
        f"Python {sys.version.split()[0]}; " + ", ".join(versions)
    )
