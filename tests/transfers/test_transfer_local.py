"""ScenarioAssetsToStorageOperator into local files (``file://``), against the emulator over HTTP."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import airflow.sdk.lineage
import pytest
from airflow.sdk import DAG, AssetAlias
from airflow.sdk.execution_time.context import OutletEventAccessors
from airflow.sdk.lineage import HookLineageCollector

from airflow_provider_veo import __version__
from airflow_provider_veo.exceptions import (
    AssetTransferError,
    DestinationExistsError,
    InvalidParameterError,
)
from airflow_provider_veo.testing import Fault, ScenarioEmulator
from airflow_provider_veo.testing.mp4probe import probe_mp4
from airflow_provider_veo.transfers import scenario_assets_to_storage
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator
from tests.transfers._helpers import alias_events, files_under, sha256

CDN = "GET /cdn/assets/{assetId}"
URLS = "POST /assets/{assetId}/download"
NAME = "videos/{job_id}/{asset_id}.mp4"


def _operator(tmp_path: Path, **kwargs: Any) -> ScenarioAssetsToStorageOperator:
    kwargs.setdefault("object_name", NAME)
    return ScenarioAssetsToStorageOperator(task_id="store", destination=f"file://{tmp_path}", **kwargs)


def test_job_video_lands_with_its_provenance_sidecar(
    tmp_path: Path,
    emu: ScenarioEmulator,
    finished_job: Callable[..., dict[str, Any]],
    reference_bytes: Callable[[str], bytes],
    outlet_events: OutletEventAccessors,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lineage = HookLineageCollector()
    monkeypatch.setattr(scenario_assets_to_storage, "get_hook_lineage_collector", lambda: lineage)
    job = finished_job(resolution="1080p")
    job_id, (asset_id,) = job["jobId"], job["metadata"]["assetIds"]

    uris = _operator(tmp_path, job_id=job_id).execute({"outlet_events": outlet_events})

    video = tmp_path / "videos" / job_id / f"{asset_id}.mp4"
    assert uris == [f"file://{video}"]
    assert files_under(tmp_path) == [
        f"videos/{job_id}/{asset_id}.mp4",
        f"videos/{job_id}/{asset_id}.mp4.json",
    ]
    assert emu.count(CDN) == 1
    expected = reference_bytes(asset_id)
    assert video.read_bytes() == expected
    assert probe_mp4(video).width == 1920

    sidecar_text = (video.parent / f"{asset_id}.mp4.json").read_text()
    assert "Signature" not in sidecar_text
    assert "/cdn/" not in sidecar_text
    sidecar = json.loads(sidecar_text)
    transferred_at = sidecar.pop("transferred_at")
    assert transferred_at.endswith("+00:00")
    assert sidecar == {
        "schema_version": 1,
        "source": "scenario",
        "provider_version": __version__,
        "uri": uris[0],
        "job_id": job_id,
        "asset_id": asset_id,
        "model_id": "model_veo3-1",
        "prompt": "A red fox trotting through fresh snow at dawn",
        "negative_prompt": "blurry",
        "seed": 42,
        "parameters": job["metadata"]["input"],
        "cost": job["billing"]["cuCost"],
        "sha256": sha256(expected),
        "size": len(expected),
        "mime_type": "video/mp4",
        "width": 1920,
        "height": 1080,
        "duration": 8,
        "frame_rate": 24,
        "created_at": sidecar["created_at"],
    }
    assert sidecar["created_at"].startswith("20")

    assert alias_events(outlet_events) == [
        (
            uris[0],
            {
                "job_id": job_id,
                "asset_id": asset_id,
                "sha256": sha256(expected),
                "size": len(expected),
                "written": True,
            },
        )
    ]
    outputs = {info.asset.uri for info in lineage.collected_assets.outputs}
    assert outputs == {uris[0], uris[0] + ".json"}


def test_asset_ids_alone_find_their_job_for_name_and_sidecar(
    tmp_path: Path,
    finished_job: Callable[..., dict[str, Any]],
    outlet_events: OutletEventAccessors,
) -> None:
    job = finished_job()
    asset_id = job["metadata"]["assetIds"][0]

    uris = _operator(tmp_path, asset_ids=f"['{asset_id}']").execute({"outlet_events": outlet_events})

    assert uris == [f"file://{tmp_path}/videos/{job['jobId']}/{asset_id}.mp4"]
    sidecar = json.loads(Path(uris[0].removeprefix("file://") + ".json").read_text())
    assert (sidecar["job_id"], sidecar["cost"]) == (job["jobId"], job["billing"]["cuCost"])


def test_default_object_name_is_rendered_by_airflow(
    tmp_path: Path,
    finished_job: Callable[..., dict[str, Any]],
    outlet_events: OutletEventAccessors,
) -> None:
    job = finished_job()
    with DAG(dag_id="veo_videos", schedule=None) as dag:
        operator = ScenarioAssetsToStorageOperator(
            task_id="store", job_id="{{ params.job }}", destination=f"file://{tmp_path}/out"
        )
    run_id = "manual__2026-11-24T10:00:00+00:00"
    context: dict[str, Any] = {"dag": dag, "run_id": run_id, "params": {"job": job["jobId"]}}
    operator.render_template_fields(context)

    uris = operator.execute({**context, "outlet_events": outlet_events})  # type: ignore[typeddict-item]

    asset_id = job["metadata"]["assetIds"][0]
    safe_run_id = "manual__2026-11-24T10-00-00_00-00"  # ':' and '+' replaced: safe on every store
    assert uris == [f"file://{tmp_path}/out/veo_videos/{safe_run_id}/{job['jobId']}/{asset_id}.mp4"]
    assert operator.outlets == [AssetAlias("scenario-videos")]


def test_truncated_download_resumes_and_lands_whole(
    tmp_path: Path,
    emu: ScenarioEmulator,
    reference_bytes: Callable[[str], bytes],
    outlet_events: OutletEventAccessors,
) -> None:
    asset_id = emu.create_video_asset(size=3 << 20)
    emu.inject(Fault.truncate(after_bytes=1_000_000), route=CDN, times=1)

    (uri,) = _operator(
        tmp_path, asset_ids=[asset_id], object_name="{asset_id}.mp4", chunk_size=1 << 20
    ).execute({"outlet_events": outlet_events})

    assert emu.count(CDN) == 2  # the broken download, then one Range request for the rest
    assert emu.count(URLS) == 2  # a fresh signed URL for each
    data = (tmp_path / f"{asset_id}.mp4").read_bytes()
    assert data == reference_bytes(asset_id)
    assert json.loads((tmp_path / f"{asset_id}.mp4.json").read_text())["sha256"] == sha256(data)
    assert uri == f"file://{tmp_path}/{asset_id}.mp4"


def test_url_expired_mid_transfer_is_replaced_and_the_download_resumes(
    tmp_path: Path,
    emu: ScenarioEmulator,
    reference_bytes: Callable[[str], bytes],
    outlet_events: OutletEventAccessors,
) -> None:
    asset_id = emu.create_video_asset(size=3 << 20)
    emu.inject(Fault.truncate(after_bytes=500_000), route=CDN, times=1)  # the stream breaks...
    emu.inject(Fault.status(403), route=CDN, times=1)  # ...and the next URL is refused as expired

    _operator(tmp_path, asset_ids=[asset_id], object_name="{asset_id}.mp4").execute(
        {"outlet_events": outlet_events}
    )

    assert emu.count(CDN) == 3
    assert (tmp_path / f"{asset_id}.mp4").read_bytes() == reference_bytes(asset_id)


@pytest.mark.parametrize(
    "fault",
    [Fault.truncate(after_bytes=200_000), Fault.status(403), Fault.reset()],
    ids=["truncated", "expired", "reset"],
)
def test_download_that_never_completes_leaves_nothing(
    tmp_path: Path, emu: ScenarioEmulator, outlet_events: OutletEventAccessors, fault: Fault
) -> None:
    asset_id = emu.create_video_asset(size=1 << 20)
    emu.inject(fault, route=CDN, times=3)
    operator = _operator(tmp_path, asset_ids=[asset_id], object_name="{asset_id}.mp4", max_attempts=3)

    with pytest.raises(
        AssetTransferError, match=f"Asset {asset_id}: download failed after 3 attempt"
    ) as error:
        operator.execute({"outlet_events": outlet_events})

    assert "Signature" not in str(error.value)
    assert emu.count(CDN) == 3
    assert files_under(tmp_path) == []  # neither the final name nor a temporary one
    assert alias_events(outlet_events) == []


@pytest.mark.filterwarnings("ignore:UPath .failingdisk. filesystem not explicitly implemented")
def test_failing_upload_leaves_nothing_at_the_final_name(
    failing_disk: tuple[Any, Path], emu: ScenarioEmulator, outlet_events: OutletEventAccessors
) -> None:
    disk, root = failing_disk
    asset_id = emu.create_video_asset(size=4 << 20)
    operator = ScenarioAssetsToStorageOperator(
        task_id="store",
        asset_ids=[asset_id],
        destination=f"failingdisk://{root}",
        object_name="{asset_id}.mp4",
        chunk_size=256 * 1024,
    )

    with pytest.raises(AssetTransferError, match=r"writing to failingdisk://.* failed \(OSError"):
        operator.execute({"outlet_events": outlet_events})

    assert disk.written > 0  # the write really started before the disk failed
    assert files_under(root) == []


@pytest.mark.filterwarnings("ignore:UPath .failingdisk. filesystem not explicitly implemented")
def test_retry_after_partial_success_downloads_only_what_is_missing(
    failing_disk: tuple[Any, Path], emu: ScenarioEmulator, finished_job: Callable[..., dict[str, Any]]
) -> None:
    _, root = failing_disk
    small = finished_job()["metadata"]["assetIds"][0]  # ~36 kB: fits before the disk fails at 1 MiB
    large = emu.create_video_asset(size=4 << 20)
    first_try = ScenarioAssetsToStorageOperator(
        task_id="store",
        asset_ids=[small, large],
        destination=f"failingdisk://{root}",
        object_name="{asset_id}.mp4",
        max_concurrency=1,
    )
    with pytest.raises(AssetTransferError, match=large):
        first_try.execute({"outlet_events": OutletEventAccessors()})
    assert files_under(root) == [f"{small}.mp4", f"{small}.mp4.json"]
    small_mtime = os.stat(root / f"{small}.mp4").st_mtime_ns
    downloads = emu.count(CDN)

    events = OutletEventAccessors()
    second_try = _operator(root, asset_ids=[small, large], object_name="{asset_id}.mp4")
    uris = second_try.execute({"outlet_events": events})

    assert emu.count(CDN) == downloads + 1  # only the missing asset was downloaded again
    assert uris == [f"file://{root}/{small}.mp4", f"file://{root}/{large}.mp4"]
    assert os.stat(root / f"{small}.mp4").st_mtime_ns == small_mtime
    assert files_under(root) == sorted(
        [f"{small}.mp4", f"{small}.mp4.json", f"{large}.mp4", f"{large}.mp4.json"]
    )
    # The skipped video is announced too: the failed first try could not send its event.
    assert [(uri, extra["written"]) for uri, extra in alias_events(events)] == [
        (uris[0], False),
        (uris[1], True),
    ]


def test_second_run_skips_identical_objects(
    tmp_path: Path, emu: ScenarioEmulator, finished_job: Callable[..., dict[str, Any]]
) -> None:
    job_id = finished_job()["jobId"]
    first = _operator(tmp_path, job_id=job_id).execute({"outlet_events": OutletEventAccessors()})
    events = OutletEventAccessors()

    second = _operator(tmp_path, job_id=job_id).execute({"outlet_events": events})

    assert second == first
    assert emu.count(CDN) == 1
    ((_, extra),) = alias_events(events)
    assert extra["written"] is False
    assert extra["sha256"] == sha256(Path(first[0].removeprefix("file://")).read_bytes())


def test_identical_check_records_no_lineage_input(
    tmp_path: Path,
    emu: ScenarioEmulator,
    finished_job: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job_id = finished_job()["jobId"]
    first = _operator(tmp_path, job_id=job_id).execute({"outlet_events": OutletEventAccessors()})
    lineage = HookLineageCollector()
    # Both the operator's own calls and ObjectStoragePath's automatic lineage (which imports it lazily).
    monkeypatch.setattr(scenario_assets_to_storage, "get_hook_lineage_collector", lambda: lineage)
    monkeypatch.setattr(airflow.sdk.lineage, "get_hook_lineage_collector", lambda: lineage)

    second = _operator(tmp_path, job_id=job_id).execute({"outlet_events": OutletEventAccessors()})

    assert second == first
    assert emu.count(CDN) == 1
    assert lineage.collected_assets.inputs == []
    assert lineage.collected_assets.outputs == []


def test_without_sidecars_identical_means_same_size(tmp_path: Path, emu: ScenarioEmulator) -> None:
    asset_id = emu.create_video_asset(size=100_000)
    operator = _operator(tmp_path, asset_ids=[asset_id], object_name="{asset_id}.mp4", write_sidecar=False)
    operator.execute({"outlet_events": OutletEventAccessors()})
    operator.execute({"outlet_events": OutletEventAccessors()})
    assert emu.count(CDN) == 1
    assert files_under(tmp_path) == [f"{asset_id}.mp4"]

    (tmp_path / f"{asset_id}.mp4").write_bytes(b"truncated by someone")
    operator.execute({"outlet_events": OutletEventAccessors()})
    assert emu.count(CDN) == 2
    assert (tmp_path / f"{asset_id}.mp4").stat().st_size == 100_000


def test_object_with_a_foreign_sidecar_is_not_identical(
    tmp_path: Path, emu: ScenarioEmulator, reference_bytes: Callable[[str], bytes]
) -> None:
    asset_id = emu.create_video_asset(size=100_000)
    video = tmp_path / f"{asset_id}.mp4"
    video.write_bytes(b"\0" * 100_000)  # same size, other content, written by someone else
    Path(f"{video}.json").write_text(
        json.dumps({"asset_id": "asset_other", "size": 100_000, "sha256": "0" * 64})
    )

    _operator(tmp_path, asset_ids=asset_id, object_name="{asset_id}.mp4").execute(
        {"outlet_events": OutletEventAccessors()}
    )

    assert video.read_bytes() == reference_bytes(asset_id)
    assert json.loads(Path(f"{video}.json").read_text())["asset_id"] == asset_id


def test_overwrite_replaces_the_object(
    tmp_path: Path, emu: ScenarioEmulator, reference_bytes: Callable[[str], bytes]
) -> None:
    asset_id = emu.create_video_asset(size=100_000)
    for _ in range(2):
        _operator(
            tmp_path, asset_ids=[asset_id], object_name="{asset_id}.mp4", if_exists="overwrite"
        ).execute({"outlet_events": OutletEventAccessors()})
    assert emu.count(CDN) == 2
    assert (tmp_path / f"{asset_id}.mp4").read_bytes() == reference_bytes(asset_id)
    assert files_under(tmp_path) == [f"{asset_id}.mp4", f"{asset_id}.mp4.json"]


def test_if_exists_fail_raises_before_downloading(tmp_path: Path, emu: ScenarioEmulator) -> None:
    existing = emu.create_video_asset(size=50_000)
    new = emu.create_video_asset(size=50_000)
    (tmp_path / f"{existing}.mp4").write_bytes(b"keep me")
    operator = _operator(tmp_path, asset_ids=[new, existing], object_name="{asset_id}.mp4", if_exists="fail")

    with pytest.raises(DestinationExistsError, match=f"{existing}.mp4. Nothing was downloaded"):
        operator.execute({"outlet_events": OutletEventAccessors()})

    assert emu.count(CDN) == 0
    assert files_under(tmp_path) == [f"{existing}.mp4"]
    assert (tmp_path / f"{existing}.mp4").read_bytes() == b"keep me"


def test_assets_transfer_concurrently_up_to_the_limit(
    tmp_path: Path, emu: ScenarioEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    asset_ids = [emu.create_video_asset(size=200_000) for _ in range(4)]
    emu.inject(Fault.delay(0.3), route=CDN, times=4)  # every download holds its thread a moment

    def threads_used(max_concurrency: int, folder: str) -> set[str]:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="airflow_provider_veo.transfers.streaming"):
            uris = _operator(
                tmp_path / folder,
                asset_ids=asset_ids,
                object_name="{asset_id}.mp4",
                max_concurrency=max_concurrency,
            ).execute({"outlet_events": OutletEventAccessors()})
        assert uris == [f"file://{tmp_path}/{folder}/{asset_id}.mp4" for asset_id in asset_ids]
        return {record.threadName for record in caplog.records if "downloaded" in record.getMessage()}

    assert len(threads_used(4, "parallel")) == 4
    assert len(threads_used(1, "serial")) == 1


def test_hostile_ids_and_names_are_refused_before_any_request(
    tmp_path: Path, emu: ScenarioEmulator, finished_job: Callable[..., dict[str, Any]]
) -> None:
    with pytest.raises(AssetTransferError, match=r"Refusing to use asset id '\.\./\.\./etc/passwd'"):
        _operator(tmp_path, asset_ids=["../../etc/passwd"]).execute({"outlet_events": OutletEventAccessors()})
    assert emu.count("GET /assets/{assetId}") == 0

    job_id = finished_job()["jobId"]
    with pytest.raises(AssetTransferError, match=r"'\.\.' segment"):
        _operator(tmp_path / "inside", job_id=job_id, object_name="../{asset_id}.mp4").execute(
            {"outlet_events": OutletEventAccessors()}
        )
    assert emu.count(CDN) == 0
    assert files_under(tmp_path) == []


def test_two_assets_on_one_name_are_refused(tmp_path: Path, emu: ScenarioEmulator) -> None:
    asset_ids = [emu.create_video_asset(size=50_000) for _ in range(2)]
    with pytest.raises(AssetTransferError, match="Several assets would be written to the same object"):
        _operator(tmp_path, asset_ids=asset_ids, object_name="video.mp4").execute(
            {"outlet_events": OutletEventAccessors()}
        )
    assert emu.count(CDN) == 0


def test_job_that_did_not_succeed_has_nothing_to_transfer(tmp_path: Path, emu: ScenarioEmulator) -> None:
    emu.fail_next_jobs(1, error="Content moderated")
    asset_id = emu.create_video_asset(size=50_000)  # noqa: F841 - an asset exists, but not for this job
    from tests.support.jobs import submit_job

    job_id = submit_job()
    with pytest.raises(AssetTransferError, match=f"Job {job_id} has status"):
        _operator(tmp_path, job_id=job_id).execute({"outlet_events": OutletEventAccessors()})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"job_id": "job_1", "if_exists": "replace"},
            "if_exists='replace'.*'skip_if_identical', 'overwrite', 'fail'",
        ),
        ({}, r"job=None: pass job \(a generate task's result\), job_id or asset_ids"),
        ({"job_id": "job_1", "max_concurrency": 0}, "max_concurrency=0"),
        ({"job_id": "job_1", "chunk_size": -1}, "chunk_size=-1"),
    ],
)
def test_constructor_refuses_invalid_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        ScenarioAssetsToStorageOperator(task_id="store", destination="file:///tmp/x", **kwargs)


def test_no_alias_means_no_outlet_and_no_event(
    tmp_path: Path, emu: ScenarioEmulator, outlet_events: OutletEventAccessors
) -> None:
    asset_id = emu.create_video_asset(size=50_000)
    operator = _operator(tmp_path, asset_ids=[asset_id], object_name="{asset_id}.mp4", asset_alias=None)
    assert operator.outlets == []
    operator.execute({"outlet_events": outlet_events})
    assert len(outlet_events) == 0
