"""StagedObject: nothing visible at the final name until publish, nothing left behind on failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_provider_veo.transfers.staging import PARTIAL_MARKER, StagedObject
from tests.transfers._helpers import files_under

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
