"""StagedObject on S3 (moto): a multipart object appears only when published, never half-written."""

from __future__ import annotations

import pytest
from airflow.sdk import ObjectStoragePath

from tests.support.optional import S3_MISSING_REASON

pytest.importorskip("s3fs", reason=S3_MISSING_REASON)

from airflow_provider_veo.transfers.staging import StagedObject, write_atomically
from tests.support.s3_storage import S3Bucket
from tests.transfers.test_staging import BLOCK, MIB, _fail_while_writing


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
