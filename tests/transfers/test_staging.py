"""StagedObject: nothing visible at the final name until publish, nothing left behind on failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_provider_veo.transfers.staging import PARTIAL_MARKER, StagedObject, write_atomically
from tests.transfers._helpers import files_under
from tests.transfers.conftest import S3Bucket

MIB = 1 << 20
BLOCK = bytes(range(256)) * 4096  # 1 MiB


def _fail_while_writing(final: ObjectStoragePath, *, blocks: int) -> None:
    with StagedObject(final, block_size=5 * MIB) as staged:
        for _ in range(blocks):
            staged.write(BLOCK)
        raise RuntimeError("boom")


def test_local_object_appears_only_when_published(tmp_path: Path) -> None:
    final = ObjectStoragePath(f"file://{tmp_path}/deep/dir/video.mp4")
    with StagedObject(final) as staged:
        staged.write(BLOCK)
        (temp,) = files_under(tmp_path)
        assert temp.startswith(f"deep/dir/.video.mp4{PARTIAL_MARKER}")
        staged.publish()
    assert files_under(tmp_path) == ["deep/dir/video.mp4"]
    assert (tmp_path / "deep/dir/video.mp4").read_bytes() == BLOCK


def test_local_failure_removes_the_temporary_file_and_keeps_the_old_object(tmp_path: Path) -> None:
    (tmp_path / "video.mp4").write_bytes(b"previous version")
    final = ObjectStoragePath(f"file://{tmp_path}/video.mp4")
    with pytest.raises(RuntimeError, match="boom"):
        _fail_while_writing(final, blocks=1)
    assert files_under(tmp_path) == ["video.mp4"]
    assert (tmp_path / "video.mp4").read_bytes() == b"previous version"


def test_restart_empties_the_temporary_object(tmp_path: Path) -> None:
    final = ObjectStoragePath(f"file://{tmp_path}/video.mp4")
    with StagedObject(final) as staged:
        staged.write(b"wrong start")
        staged.restart()
        staged.write(b"right")
        staged.publish()
    assert (tmp_path / "video.mp4").read_bytes() == b"right"


def test_s3_multipart_object_appears_only_when_published(s3_bucket: S3Bucket) -> None:
    final = ObjectStoragePath(s3_bucket.uri("veo/video.mp4"), conn_id="aws_default")
    with StagedObject(final, block_size=5 * MIB) as staged:
        for _ in range(11):
            staged.write(BLOCK)
        assert s3_bucket.keys() == []  # parts are uploaded, but no object exists yet
        assert s3_bucket.pending_uploads() == ["veo/video.mp4"]  # written in place, no copy needed
        staged.publish()
    assert s3_bucket.keys() == ["veo/video.mp4"]
    assert s3_bucket.read("veo/video.mp4") == BLOCK * 11
    assert s3_bucket.pending_uploads() == []


def test_s3_failure_aborts_the_multipart_upload(s3_bucket: S3Bucket) -> None:
    final = ObjectStoragePath(s3_bucket.uri("video.mp4"), conn_id="aws_default")
    with pytest.raises(RuntimeError, match="boom"):
        _fail_while_writing(final, blocks=6)  # one 5 MiB part uploaded before the failure
    assert s3_bucket.keys() == []
    assert s3_bucket.pending_uploads() == []


def test_s3_failed_overwrite_keeps_the_previous_object(s3_bucket: S3Bucket) -> None:
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="video.mp4", Body=b"previous version")
    final = ObjectStoragePath(s3_bucket.uri("video.mp4"), conn_id="aws_default")
    with pytest.raises(RuntimeError, match="boom"):
        _fail_while_writing(final, blocks=6)
    assert s3_bucket.read("video.mp4") == b"previous version"
    assert s3_bucket.pending_uploads() == []


def test_small_object_is_written_atomically_on_s3(s3_bucket: S3Bucket) -> None:
    write_atomically(ObjectStoragePath(s3_bucket.uri("a.json"), conn_id="aws_default"), b"{}")
    assert s3_bucket.keys() == ["a.json"]
    assert s3_bucket.read("a.json") == b"{}"
