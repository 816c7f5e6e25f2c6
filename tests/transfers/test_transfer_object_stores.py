"""ScenarioAssetsToStorageOperator into S3, GCS and Azure Blob, each on a local server.

Written through the providers' ObjectStoragePath filesystems (``s3://`` + aws_default, ``gs://`` +
gcs_emu, ``abfs://`` + azure_emu) and checked behind their back with each store's own client
(tests/support/object_store.py). One test body, three stores.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from airflow.sdk.execution_time.context import OutletEventAccessors

from airflow_provider_veo.exceptions import AssetTransferError, DestinationExistsError
from airflow_provider_veo.testing import Fault, ScenarioEmulator
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator
from tests.support.object_store import ObjectStore, refusing_blocks_after_the_first
from tests.transfers._helpers import alias_events, sha256

CDN = "GET /cdn/assets/{assetId}"
MIB = 1 << 20


def _operator(bucket: ObjectStore, prefix: str = "", **kwargs: Any) -> ScenarioAssetsToStorageOperator:
    kwargs.setdefault("object_name", "{asset_id}.mp4")
    return ScenarioAssetsToStorageOperator(
        task_id="store", destination=bucket.uri(prefix), dest_conn_id=bucket.conn_id, **kwargs
    )


def _run(operator: ScenarioAssetsToStorageOperator, events: OutletEventAccessors | None = None) -> list[str]:
    context = {"outlet_events": OutletEventAccessors() if events is None else events}
    uris: list[str] = operator.execute(context)  # type: ignore[arg-type]
    return uris


def _left_by_a_failed_upload(bucket: ObjectStore, key: str) -> list[str]:
    return [key] if bucket.keeps_aborted_blocks else []


def test_job_video_and_large_asset_land_with_their_sidecars(
    bucket: ObjectStore,
    emu: ScenarioEmulator,
    finished_job: Callable[..., dict[str, Any]],
    reference_bytes: Callable[[str], bytes],
    outlet_events: OutletEventAccessors,
) -> None:
    job = finished_job()
    job_id, (video_id,) = job["jobId"], job["metadata"]["assetIds"]
    large_id = emu.create_video_asset(size=12 * MIB)  # 3 blocks of 5 MiB
    operator = _operator(
        bucket, "veo/", job_id=job_id, asset_ids=[video_id, large_id], object_name="{job_id}/{asset_id}.mp4"
    )

    uris = _run(operator, outlet_events)

    keys = [f"veo/{job_id}/{video_id}.mp4", f"veo/{job_id}/{large_id}.mp4"]
    assert uris == [bucket.uri(key) for key in keys]
    assert bucket.keys() == sorted([*keys, *(f"{key}.json" for key in keys)])
    assert bucket.pending_uploads() == []
    assert emu.count(CDN) == 2
    for asset_id, key in zip([video_id, large_id], keys, strict=True):
        data = bucket.read(key)
        assert data == reference_bytes(asset_id)
        sidecar = json.loads(bucket.read(f"{key}.json"))
        assert (sidecar["asset_id"], sidecar["sha256"], sidecar["size"]) == (
            asset_id,
            sha256(data),
            len(data),
        )
        assert (sidecar["uri"], sidecar["job_id"]) == (bucket.uri(key), job_id)
    assert [uri for uri, _ in alias_events(outlet_events)] == uris


def test_url_expired_mid_upload_is_replaced_and_the_download_resumes(
    bucket: ObjectStore, emu: ScenarioEmulator, reference_bytes: Callable[[str], bytes]
) -> None:
    asset_id = emu.create_video_asset(size=12 * MIB)
    emu.inject(Fault.truncate(after_bytes=7 * MIB), route=CDN, times=1)  # after the first block went up
    emu.inject(Fault.status(403), route=CDN, times=1)  # and the next URL is refused as expired

    (uri,) = _run(_operator(bucket, asset_ids=[asset_id], chunk_size=MIB))

    assert uri == bucket.uri(f"{asset_id}.mp4")
    assert emu.count(CDN) == 3
    assert bucket.read(f"{asset_id}.mp4") == reference_bytes(asset_id)
    assert bucket.keys() == [f"{asset_id}.mp4", f"{asset_id}.mp4.json"]
    assert bucket.pending_uploads() == []


def test_download_that_never_completes_leaves_no_object(bucket: ObjectStore, emu: ScenarioEmulator) -> None:
    asset_id = emu.create_video_asset(size=12 * MIB)
    emu.inject(Fault.truncate(after_bytes=3 * MIB), route=CDN, times=2)  # 6 of the 12 MiB arrive
    operator = _operator(bucket, asset_ids=[asset_id], chunk_size=MIB, max_attempts=2)

    with pytest.raises(AssetTransferError, match="download failed after 2 attempt"):
        _run(operator)

    assert bucket.keys() == []
    assert bucket.pending_uploads() == _left_by_a_failed_upload(bucket, f"{asset_id}.mp4")


def test_failing_upload_leaves_no_object_and_the_retry_leaves_no_upload(
    bucket: ObjectStore, emu: ScenarioEmulator, reference_bytes: Callable[[str], bytes]
) -> None:
    asset_id = emu.create_video_asset(size=12 * MIB)
    operator = _operator(bucket, "veo", asset_ids=[asset_id], chunk_size=MIB)
    key = f"veo/{asset_id}.mp4"

    refused = rf"writing to {bucket.scheme}://.* failed \(OSError: {bucket.scheme} refused the upload block"
    with refusing_blocks_after_the_first(bucket), pytest.raises(AssetTransferError, match=refused):
        _run(operator)

    assert bucket.keys() == []
    assert bucket.pending_uploads() == _left_by_a_failed_upload(bucket, key)

    assert _run(operator) == [bucket.uri(key)]  # the task's next try
    assert bucket.read(key) == reference_bytes(asset_id)
    assert bucket.keys() == [key, f"{key}.json"]
    assert bucket.pending_uploads() == []


def test_second_run_finds_everything_in_place(bucket: ObjectStore, emu: ScenarioEmulator) -> None:
    asset_ids = [emu.create_video_asset(size=100_000) for _ in range(3)]
    operator = _operator(bucket, "veo", asset_ids=asset_ids)
    first = _run(operator)
    bucket.delete(f"veo/{asset_ids[1]}.mp4")  # lost since

    events = OutletEventAccessors()
    second = _run(operator, events)

    assert second == first
    assert emu.count(CDN) == 4  # three, then only the missing one again
    assert [extra["written"] for _, extra in alias_events(events)] == [False, True, False]


def test_if_exists_rules_on_an_object_someone_else_wrote(
    bucket: ObjectStore, emu: ScenarioEmulator, reference_bytes: Callable[[str], bytes]
) -> None:
    asset_id = emu.create_video_asset(size=100_000)
    key = f"{asset_id}.mp4"
    bucket.put(key, b"someone else's video")
    expected = reference_bytes(asset_id)
    downloads = emu.count(CDN)  # the reference download above

    with pytest.raises(DestinationExistsError, match="Nothing was downloaded"):
        _run(_operator(bucket, asset_ids=[asset_id], if_exists="fail"))
    assert (emu.count(CDN), bucket.keys(), bucket.read(key)) == (downloads, [key], b"someone else's video")

    _run(_operator(bucket, asset_ids=[asset_id]))  # skip_if_identical: no sidecar vouches for it
    assert (emu.count(CDN), bucket.read(key)) == (downloads + 1, expected)

    _run(_operator(bucket, asset_ids=[asset_id]))  # now it does
    assert emu.count(CDN) == downloads + 1

    _run(_operator(bucket, asset_ids=[asset_id], if_exists="overwrite"))
    assert (emu.count(CDN), bucket.read(key)) == (downloads + 2, expected)
    assert bucket.keys() == [key, f"{key}.json"]
    assert bucket.pending_uploads() == []


def test_memory_does_not_grow_with_the_video(bucket: ObjectStore, emu: ScenarioEmulator) -> None:
    size = 64 * MIB
    small, large = emu.create_video_asset(size=100_000), emu.create_video_asset(size=size)  # streamed
    _run(_operator(bucket, asset_ids=[small]))  # loads the storage client (botocore's S3 model: 11 MiB)
    operator = _operator(bucket, asset_ids=[large], chunk_size=MIB, write_sidecar=False)

    tracemalloc.start()
    try:
        _run(operator)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Holding the video would take more than its size; streaming takes a read chunk and an upload
    # block plus the storage client's copies of it (measured: 14 MiB on GCS and Azure, 20 on S3).
    assert peak < size // 2, f"peak {peak / MIB:.1f} MiB for a {size // MIB} MiB video"
    assert bucket.keys() == sorted([f"{small}.mp4", f"{small}.mp4.json", f"{large}.mp4"])
