"""Transfer memory: ScenarioAssetsToStorageOperator against the HttpToS3Operator pattern, side by side.

The emulator (in this process) serves synthetic MP4 assets of each size, streamed, never held. For
each size both variants run in their own fresh process, which imports the same modules, then:

* ``ours``: ``ScenarioAssetsToStorageOperator(...).execute()`` - fresh signed URL, streamed download
  into a temporary object, size + sha256 check, atomic move, JSON sidecar;
* ``baseline``: the HttpToS3Operator pattern, ``requests.get(url).content`` then one write.

The destination is a local ``file://`` folder (``--s3`` adds S3 on a moto server, same process as
the emulator, for both variants; the baseline then uploads with ``S3Hook.load_bytes`` as
HttpToS3Operator does). Each child reports its RSS after imports, its peak RSS (``VmHWM``)
and MB/s (10^6 bytes/s, request start to file closed);
the printed table is followed by the ratios that matter.

    python benchmarks/transfer_memory.py                   # 256 MiB and 1 GiB, file://, about 1 min
    python benchmarks/transfer_memory.py --sizes 256 --s3  # add S3 on moto
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MIB = 1 << 20
VARIANTS = ("baseline", "ours")
CHILD_TIMEOUT = 300


# --- child: one transfer in a fresh process ----------------------------------------------------------


def _status_mib(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, from /proc/self/status.

    Not ``getrusage().ru_maxrss``: on Linux a child inherits its parent's peak RSS through
    fork/exec, so with a large parent (moto holding the objects) it would report the parent's.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def child(variant: str, asset_id: str, destination: str) -> dict[str, Any]:
    import gc

    import requests
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from airflow.sdk import ObjectStoragePath

    from airflow_provider_veo.hooks.scenario import ScenarioHook
    from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

    gc.collect()
    rss_before = _status_mib("VmRSS")
    start = time.perf_counter()
    if variant == "ours":
        operator = ScenarioAssetsToStorageOperator(
            task_id="bench",
            asset_ids=[asset_id],
            destination=destination,
            dest_conn_id="aws_default" if destination.startswith("s3://") else None,
            object_name="{asset_id}.mp4",
            asset_alias=None,
        )
        (uri,) = operator.execute({})  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        sidecar = json.loads(ObjectStoragePath(uri + ".json", conn_id=operator.dest_conn_id).read_text())
        size, sha256 = sidecar["size"], sidecar["sha256"]
    else:
        response = requests.get(ScenarioHook().get_download_url(asset_id), timeout=(10, 300))
        response.raise_for_status()
        data = response.content
        if destination.startswith("s3://"):
            bucket, _, prefix = destination.removeprefix("s3://").partition("/")
            S3Hook(aws_conn_id="aws_default").load_bytes(
                data, f"{prefix}{asset_id}.mp4", bucket, replace=True
            )
        else:
            with open(f"{destination.removeprefix('file://')}/{asset_id}.mp4", "wb") as out:
                out.write(data)
        elapsed = time.perf_counter() - start
        size, sha256 = len(data), hashlib.sha256(data).hexdigest()
    peak = _status_mib("VmHWM")
    return {
        "variant": variant,
        "size": size,
        "sha256": sha256,
        "seconds": elapsed,
        "mb_per_s": size / elapsed / 1e6,
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak,
        "growth_mib": max(peak - rss_before, 0.0),
    }


# --- parent: emulator, destinations, table ------------------------------------------------------------


def run_variant(variant: str, asset_id: str, destination: str, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", variant, asset_id, destination]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=CHILD_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def expected_sha256(url: str) -> str:
    import requests

    digest = hashlib.sha256()
    with requests.get(url, stream=True, timeout=(10, 300)) as response:
        response.raise_for_status()
        for chunk in response.iter_content(8 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def start_moto(env: dict[str, str]) -> Any:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request slows moto down
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps(
        {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        }
    )
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
    ).create_bucket(Bucket="bench")
    return server


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024], help="asset sizes in MiB")
    parser.add_argument("--s3", action="store_true", help="also write to S3 on a moto server")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="veo-transfer-bench-"))
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(work / "airflow_home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    from airflow_provider_veo.hooks.scenario import ScenarioHook
    from airflow_provider_veo.testing import EmulatorConfig, run_emulator

    moto = start_moto(env) if args.s3 else None
    stores = {"file": f"file://{work}/out"} | ({"s3": "s3://bench/veo/"} if args.s3 else {})
    results: dict[tuple[str, str, int], dict[str, Any]] = {}
    try:
        with run_emulator(EmulatorConfig()) as emu:
            env["AIRFLOW_CONN_SCENARIO_DEFAULT"] = os.environ["AIRFLOW_CONN_SCENARIO_DEFAULT"] = (
                emu.airflow_connection()
            )
            header = (
                f"{'store':<5} {'variant':<9} {'size':>9} {'MB/s':>8} {'RSS before':>11} {'peak RSS':>9} "
            )
            print(header + f"{'growth':>8}  sha256")
            for size_mib in args.sizes:
                asset_id = emu.create_video_asset(size=size_mib * MIB)
                reference = expected_sha256(ScenarioHook().get_download_url(asset_id))
                for store, destination in stores.items():
                    for variant in VARIANTS:
                        Path(work / "out").mkdir(parents=True, exist_ok=True)
                        r = results[(store, variant, size_mib)] = run_variant(
                            variant, asset_id, destination, env
                        )
                        shutil.rmtree(work / "out", ignore_errors=True)
                        assert r["size"] == size_mib * MIB, r
                        check = "ok" if r["sha256"] == reference else "MISMATCH"
                        print(
                            f"{store:<5} {variant:<9} {size_mib:>5} MiB {r['mb_per_s']:>8.0f} "
                            f"{r['rss_before_mib']:>7.1f} MiB {r['peak_rss_mib']:>5.0f} MiB "
                            f"{r['growth_mib']:>4.0f} MiB  {check}",
                            flush=True,
                        )
    finally:
        if moto is not None:
            moto.stop()
        shutil.rmtree(work, ignore_errors=True)

    print("\nratios (peak RSS growth = peak RSS - RSS after imports):")
    small, large = min(args.sizes), max(args.sizes)
    for store in stores:
        for size_mib in args.sizes:
            base, ours = results[(store, "baseline", size_mib)], results[(store, "ours", size_mib)]
            growth = base["growth_mib"] / max(ours["growth_mib"], 1)
            speed = ours["mb_per_s"] / base["mb_per_s"]
            label = f"{store} {size_mib} MiB"
            print(f"  {label}: growth baseline/ours {growth:.1f}x, speed ours/baseline {speed:.1f}x")
        if large != small:
            for variant in VARIANTS:
                grow_small = results[(store, variant, small)]["growth_mib"]
                grow_large = results[(store, variant, large)]["growth_mib"]
                print(
                    f"  {store} {variant}: growth at {large} MiB / at {small} MiB = "
                    f"{grow_large / max(grow_small, 1):.2f} ({grow_small:.0f} -> {grow_large:.0f} MiB)"
                )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(child(*sys.argv[2:])))
    else:
        main()
