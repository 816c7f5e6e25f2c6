"""Print the fault matrix's table of outcomes at the end of the run (also across xdist workers)."""

from __future__ import annotations

from collections import Counter
from typing import Any

_OUTCOMES: Counter[str] = Counter()


def pytest_runtest_logreport(report: Any) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == "fault_outcome":
            _OUTCOMES[value] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _OUTCOMES:
        return
    total = sum(_OUTCOMES.values())
    terminalreporter.section("fault matrix")
    terminalreporter.write_line("| cases | succeeded | failed cleanly | violations |")
    terminalreporter.write_line("| ---: | ---: | ---: | ---: |")
    terminalreporter.write_line(
        f"| {total} | {_OUTCOMES['succeeded']} | {_OUTCOMES['failed cleanly']} | {_OUTCOMES['violation']} |"
    )
