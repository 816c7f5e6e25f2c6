"""``python -m airflow_provider_veo.testing.emulator``: flags, loopback only, prints its URL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from airflow_provider_veo.testing.emulator.__main__ import parse_args
from airflow_provider_veo.testing.emulator.faults import FaultKind


def test_flags_build_the_config(tmp_path: Path) -> None:
    profile = tmp_path / "faults.json"
    profile.write_text(json.dumps([{"route": "GET /jobs/{jobId}", "kind": "reset", "fraction": 0.1}]))

    args, config = parse_args(
        [
            "--port=0",
            "--job-duration=0.5",
            "--seed=7",
            "--api-key=k",
            "--api-secret=s",
            "--allow-cancel",
            "--max-parallel-jobs=3",
            "--url-ttl=60",
            "--forbidden-model=model_veo3-1",
            "--allow-portrait-with-references",
            "--optional-generate-audio",
            "--extend-returns-extension-only",
            "--max-extend-source-seconds=30",
            f"--fault-profile={profile}",
        ]
    )

    assert args.port == 0
    assert (config.job_duration, config.seed, config.api_key, config.api_secret) == (0.5, 7, "k", "s")
    assert config.allow_cancel is True
    assert (config.max_parallel_jobs, config.url_ttl) == (3, 60)
    assert config.forbidden_models == ("model_veo3-1",)
    assert config.rules.reject_portrait_with_reference_images is False
    assert config.rules.require_generate_audio is False
    assert config.rules.extend_returns_whole_video is False
    assert config.rules.max_extend_source_seconds == 30
    assert [(r.route, r.fault.kind, r.fraction) for r in config.faults] == [
        ("GET /jobs/{jobId}", FaultKind.RESET, 0.1)
    ]


@pytest.mark.parametrize(
    "argv", [["--host=0.0.0.0"], ["--host=192.168.1.10"], ['--fault-profile=[{"kind": 1}]']]
)
def test_bad_flags_exit_with_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        parse_args(argv)

    assert excinfo.value.code == 2
    assert "error" in capsys.readouterr().err


def test_cli_prints_the_base_url_and_serves_until_sigterm() -> None:
    profile = json.dumps([{"route": "GET /models/{modelId}", "kind": "status", "status": 503, "times": 1}])
    # As a user runs it: Airflow's unit-test mode (set by our conftest) logs to stdout on import.
    env = {k: v for k, v in os.environ.items() if k != "AIRFLOW__CORE__UNIT_TEST_MODE"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_veo.testing.emulator",
            "--port",
            "0",
            "--fault-profile",
            profile,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")
        auth = ("emulator-key", "emulator-secret")
        assert requests.get(base_url + "/models/model_veo3-1", auth=auth, timeout=10).status_code == 503
        assert requests.get(base_url + "/models/model_veo3-1", auth=auth, timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
    assert code == 0
