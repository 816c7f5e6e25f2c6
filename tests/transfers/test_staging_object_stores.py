"""StagedObject on S3, GCS and Azure Blob: an object appears only when published, never half-written.

Written at its final name (the upload is invisible until committed), on each store's local server.
"""

from __future__ import annotations

import pytest

from airflow_provider_veo.transfers.staging import StagedObject, write_atomically
from tests.support.object_store import ObjectStore
from tests.transfers.test_staging import BLOCK, MIB, _fail_while_writing


def test_object_appears_only_when_published(bucket: ObjectStore) -> None:
    with StagedObject(bucket.path("veo/video.mp4"), block_size=5 * MIB) as staged:
        assert staged.direct  # written in place: no temporary object, no copy
        for _ in range(11):
            staged.write(BLOCK)
        assert bucket.keys() == []  # two blocks are uploaded, but no object exists yet
        assert bucket.pending_uploads() == ["veo/video.mp4"]
        staged.publish()
    assert bucket.keys() == ["veo/video.mp4"]
    assert bucket.read("veo/video.mp4") == BLOCK * 11
    assert bucket.pending_uploads() == []


def test_failure_leaves_no_object(bucket: ObjectStore) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _fail_while_writing(bucket.path("video.mp4"), blocks=6)  # one 5 MiB block uploaded first
    assert bucket.keys() == []
    assert bucket.pending_uploads() == (["video.mp4"] if bucket.keeps_aborted_blocks else [])


def test_failed_overwrite_keeps_the_previous_object(bucket: ObjectStore) -> None:
    bucket.put("video.mp4", b"previous version")
    with pytest.raises(RuntimeError, match="boom"):
        _fail_while_writing(bucket.path("video.mp4"), blocks=6)
    assert bucket.read("video.mp4") == b"previous version"


def test_small_object_is_written_atomically(bucket: ObjectStore) -> None:
    write_atomically(bucket.path("a.json"), b"{}")
    assert bucket.keys() == ["a.json"]
    assert bucket.read("a.json") == b"{}"
