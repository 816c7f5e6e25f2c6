"""Run the Scenario API emulator from the command line.

    python -m airflow_provider_veo.testing.emulator --port 0 --job-duration 5

Prints the API base URL (``http://127.0.0.1:<port>/v1``) as its first stdout line once it listens,
then serves until interrupted (Ctrl-C / SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow_provider_veo.models.veo31 import DEFAULT_RULES, Veo31Rules
from airflow_provider_veo.testing.emulator.config import EmulatorConfig
from airflow_provider_veo.testing.emulator.faults import FaultRule
from airflow_provider_veo.testing.emulator.server import EmulatorServer, require_loopback
from airflow_provider_veo.testing.emulator.state import EmulatorState


def load_fault_profile(value: str) -> list[FaultRule]:
    """Faults from a JSON file or inline JSON: a list of ``FaultRule.from_dict`` objects (or one)."""
    text = value if value.lstrip().startswith(("[", "{")) else Path(value).read_text()
    data: Any = json.loads(text)
    items = data if isinstance(data, list) else [data]
    return [FaultRule.from_dict(item) for item in items]


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, EmulatorConfig]:
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_veo.testing.emulator",
        description="A local Scenario API (Veo 3.1) emulator. Listens on loopback only.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one (default 8765)")
    parser.add_argument("--job-duration", type=float, default=defaults.job_duration, help="seconds per job")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--api-key", default=defaults.api_key)
    parser.add_argument("--api-secret", default=defaults.api_secret)
    parser.add_argument(
        "--strict-credentials",
        action="store_true",
        help="accept only --api-key/--api-secret (default: any non-empty key and secret)",
    )
    parser.add_argument("--allow-cancel", action="store_true", help="let jobs be canceled (Scenario refuses)")
    parser.add_argument(
        "--max-parallel-jobs", type=int, default=None, help="429 beyond this many running jobs"
    )
    parser.add_argument("--url-ttl", type=float, default=None, help="signed URL lifetime in seconds")
    parser.add_argument("--forbidden-model", action="append", default=[], help="model id answering 403")
    parser.add_argument(
        "--allow-portrait-with-references",
        action="store_true",
        help="accept aspectRatio 9:16 with referenceImages (rejected by default)",
    )
    parser.add_argument(
        "--optional-generate-audio", action="store_true", help="accept bodies without generateAudio"
    )
    parser.add_argument(
        "--extend-returns-extension-only",
        action="store_true",
        help="Extend outputs only the new 7 s (default: the whole longer video)",
    )
    parser.add_argument(
        "--max-extend-source-seconds",
        type=float,
        default=DEFAULT_RULES.max_extend_source_seconds,
        help="longest video Extend accepts",
    )
    parser.add_argument("--fault-profile", default=None, help="JSON file or inline JSON list of faults")
    args = parser.parse_args(argv)
    try:
        require_loopback(args.host)
        config = EmulatorConfig(
            api_key=args.api_key,
            api_secret=args.api_secret,
            strict_credentials=args.strict_credentials,
            job_duration=args.job_duration,
            seed=args.seed,
            allow_cancel=args.allow_cancel,
            max_parallel_jobs=args.max_parallel_jobs,
            url_ttl=args.url_ttl,
            forbidden_models=tuple(args.forbidden_model),
            rules=Veo31Rules(
                reject_portrait_with_reference_images=not args.allow_portrait_with_references,
                require_generate_audio=not args.optional_generate_audio,
                extend_returns_whole_video=not args.extend_returns_extension_only,
                max_extend_source_seconds=args.max_extend_source_seconds,
            ),
            faults=load_fault_profile(args.fault_profile) if args.fault_profile else (),
        )
    except (ValueError, KeyError, OSError) as exc:
        parser.error(str(exc))
    return args, config


async def serve(host: str, port: int, config: EmulatorConfig) -> None:
    server = EmulatorServer(EmulatorState(config), host=host, port=port)
    await server.start()
    print(f"{server.state.origin}/v1", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.close()


def main(argv: Sequence[str] | None = None) -> int:
    args, config = parse_args(argv)
    asyncio.run(serve(args.host, args.port, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
