"""ScenarioAssetsToStorageOperator into S3: a moto server, written through the amazon provider's
ObjectStoragePath filesystem (``s3://`` + ``aws_default``), and checked behind its back with boto3."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from airflow.sdk.execution_time.context import OutletEventAccessors

from tests.support.optional import S3_MISSING_REASON

pytest.importorskip("s3fs", reason=S3_MISSING_REASON)

from airflow_provider_veo.exceptions import AssetTransferError
from airflow_provider_veo.testing import Fault, ScenarioEmulator
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator
from tests.support.s3_storage import S3Bucket
from tests.transfers._helpers import alias_events, sha256

CDN = "GET /cdn/assets/{assetId}"
MIB = 1 << 20


def _operator(destination: str, **kwargs: Any) -> ScenarioAssetsToStorageOperator:
    kwargs.setdefault("object_name", "{job_id}/{asset_id}.mp4")
    kwargs.setdefault("dest_conn_id", "aws_default")
    return ScenarioAssetsToStorageOperator(task_id="store", destination=destination, **kwargs)


def test_job_video_and_large_asset_land_in_s3(
    s3_bucket: S3Bucket,
    emu: ScenarioEmulator,
    finished_job: Callable[..., dict[str, Any]],
    reference_bytes: Callable[[str], bytes],
    outlet_events: OutletEventAccessors,
) -> None:
    job = finished_job()
    job_id, (video_id,) = job["jobId"], job["metadata"]["assetIds"]
    large_id = emu.create_video_asset(size=12 * MIB)  # 3 multipart parts of 5 MiB
    operator = _operator(s3_bucket.uri("veo/"), job_id=job_id, asset_ids=[video_id, large_id], chunk_size=MIB)

    uris = operator.execute({"outlet_events": outlet_events})

    keys = [f"veo/{job_id}/{video_id}.mp4", f"veo/{job_id}/{large_id}.mp4"]
    assert uris == [s3_bucket.uri(key) for key in keys]
    assert s3_bucket.keys() == sorted([*keys, *(f"{key}.json" for key in keys)])
    assert s3_bucket.pending_uploads() == []
    assert emu.count(CDN) == 2
    for asset_id, key in zip([video_id, large_id], keys, strict=True):
        data = s3_bucket.read(key)
        assert data == reference_bytes(asset_id)
        sidecar = json.loads(s3_bucket.read(f"{key}.json"))
        assert (sidecar["asset_id"], sidecar["sha256"], sidecar["size"]) == (
            asset_id,
            sha256(data),
            len(data),
        )
        assert sidecar["uri"] == s3_bucket.uri(key)
    assert [uri for uri, _ in alias_events(outlet_events)] == uris


def test_stream_broken_mid_multipart_resumes_into_the_same_upload(
    s3_bucket: S3Bucket,
    emu: ScenarioEmulator,
    reference_bytes: Callable[[str], bytes],
) -> None:
    asset_id = emu.create_video_asset(size=12 * MIB)
    emu.inject(Fault.truncate(after_bytes=7 * MIB), route=CDN, times=1)  # after the first part went up
    emu.inject(Fault.status(403), route=CDN, times=1)  # and the next URL is refused as expired

    (uri,) = _operator(
        s3_bucket.uri(), asset_ids=[asset_id], object_name="{asset_id}.mp4", chunk_size=MIB
    ).execute({"outlet_events": OutletEventAccessors()})

    assert uri == s3_bucket.uri(f"{asset_id}.mp4")
    assert emu.count(CDN) == 3
    assert s3_bucket.read(f"{asset_id}.mp4") == reference_bytes(asset_id)
    assert s3_bucket.keys() == [f"{asset_id}.mp4", f"{asset_id}.mp4.json"]
    assert s3_bucket.pending_uploads() == []


def test_download_that_never_completes_leaves_no_object_and_no_upload(
    s3_bucket: S3Bucket, emu: ScenarioEmulator
) -> None:
    asset_id = emu.create_video_asset(size=12 * MIB)
    emu.inject(Fault.truncate(after_bytes=3 * MIB), route=CDN, times=2)  # 6 of the 12 MiB arrive
    operator = _operator(
        s3_bucket.uri(), asset_ids=[asset_id], object_name="{asset_id}.mp4", chunk_size=MIB, max_attempts=2
    )

    with pytest.raises(AssetTransferError, match="download failed after 2 attempt"):
        operator.execute({"outlet_events": OutletEventAccessors()})

    assert s3_bucket.keys() == []
    assert s3_bucket.pending_uploads() == []  # the multipart upload of the temporary object was aborted


@pytest.mark.filterwarnings("ignore:UPath 'failings3' filesystem not explicitly implemented")
def test_failing_upload_leaves_no_object_and_no_upload(failing_s3: S3Bucket, emu: ScenarioEmulator) -> None:
    asset_id = emu.create_video_asset(size=12 * MIB)
    operator = _operator(
        f"failings3://{failing_s3.name}/veo",
        asset_ids=[asset_id],
        object_name="{asset_id}.mp4",
        chunk_size=MIB,
        dest_conn_id=None,
    )

    with pytest.raises(AssetTransferError, match=r"writing to failings3://.* failed \(OSError"):
        operator.execute({"outlet_events": OutletEventAccessors()})

    assert failing_s3.keys() == []
    assert failing_s3.pending_uploads() == []


def test_second_run_finds_everything_in_place(s3_bucket: S3Bucket, emu: ScenarioEmulator) -> None:
    asset_ids = [emu.create_video_asset(size=100_000) for _ in range(3)]
    operator = _operator(s3_bucket.uri("veo"), asset_ids=asset_ids, object_name="{asset_id}.mp4")
    first = operator.execute({"outlet_events": OutletEventAccessors()})
    s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=f"veo/{asset_ids[1]}.mp4")  # lost since

    events = OutletEventAccessors()
    second = operator.execute({"outlet_events": events})

    assert second == first
    assert emu.count(CDN) == 4  # three, then only the missing one again
    assert [extra["written"] for _, extra in alias_events(events)] == [False, True, False]
