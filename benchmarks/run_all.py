"""`make bench`: every benchmark section, our code next to its baselines, written to RESULTS.md.

Each section (a :class:`_report.Section` listed in ``SECTIONS``) measures in one run and returns a
markdown table with its ratios; this script adds the machine, the date and the command.

    python benchmarks/run_all.py                         # all sections -> benchmarks/RESULTS.md
    python benchmarks/run_all.py --only transfer         # one section
    python benchmarks/run_all.py --smoke --output /tmp/RESULTS.md   # tiny inputs, seconds (make test)

To add a section: a module exposing ``SECTION = Section(name, title, run)``, listed below.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import batch
import transfer
import trigger_polling
from _report import Section, machine

HERE = Path(__file__).resolve().parent
SECTIONS: tuple[Section, ...] = (transfer.SECTION, trigger_polling.SECTION, batch.SECTION)


def write(sections: list[Section], *, smoke: bool, command: str, output: Path, failed: list[str]) -> str:
    """Run the sections in turn, rewriting ``output`` after each; failed sections are added to ``failed``."""
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (benchmarks/run_all.py); method and baselines in benchmarks/README.md.",
        "",
        f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Command: `{command}`",
    ]
    if smoke:
        parts += ["", "**Smoke run: tiny inputs, the figures mean nothing.**"]
    for section in sections:
        started = time.perf_counter()
        print(f"=== {section.name} ===", file=sys.stderr, flush=True)
        try:
            body = section.run(smoke)
        except Exception as error:  # the other sections still run; the exit status says it failed
            traceback.print_exc()
            failed.append(section.name)
            body = f"**This section failed:** `{type(error).__name__}: {str(error)[:500]}`"
        minutes = (time.perf_counter() - started) / 60
        parts += ["", f"## {section.title}", "", f"_Section `{section.name}`, {minutes:.1f} min._", "", body]
        output.write_text("\n".join(parts) + "\n")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    names = [section.name for section in SECTIONS]
    parser.add_argument("--only", nargs="+", choices=names, default=names, help="sections to run")
    parser.add_argument("--smoke", action="store_true", help="tiny inputs: checks the harness, not speed")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    command = "python benchmarks/run_all.py " + " ".join(sys.argv[1:])
    sections = [section for section in SECTIONS if section.name in args.only]
    failed: list[str] = []
    print(write(sections, smoke=args.smoke, command=command.strip(), output=args.output, failed=failed))
    if failed:
        sys.exit(f"Failed sections: {', '.join(failed)}")


if __name__ == "__main__":
    main()
