"""ScenarioHook.upload_image against the emulator: base64 for small images, the multipart flow for large."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from airflow.sdk import ObjectStoragePath

from airflow_provider_veo.exceptions import InvalidParameterError, ScenarioUploadError
from airflow_provider_veo.hooks.image_upload import (
    MIN_PART_SIZE,
    SMALL_UPLOAD_LIMIT,
    image_source,
    plan_parts,
    read_exactly,
    sniff_content_type,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.api import ScenarioAsset
from airflow_provider_veo.testing import ScenarioEmulator, make_png
from tests.support.optional import S3_AVAILABLE, S3_MISSING_REASON

if TYPE_CHECKING:
    from tests.support.s3_storage import S3Bucket

MIB = 1024 * 1024


def _large_png(size: int) -> bytes:
    """A PNG signature and header followed by filler: an "image" of exactly ``size`` bytes."""
    head = make_png(4, 4)
    return head + bytes(range(256)) * ((size - len(head)) // 256) + b"\0" * ((size - len(head)) % 256)


def _name(asset: ScenarioAsset) -> object:
    """The asset's ``metadata.name`` (a field the API sends that the model keeps as an extra)."""
    return (asset.metadata.model_extra or {}).get("name")


def _record_requests(hook: ScenarioHook) -> list[requests.PreparedRequest]:
    seen: list[requests.PreparedRequest] = []
    hook.session.hooks["response"].append(lambda response, **_: seen.append(response.request))
    return seen


def test_small_bytes_go_base64_to_post_assets(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator
) -> None:
    asset_id = hook.upload_image(make_png(32, 18))

    asset = hook.get_asset(asset_id)
    assert asset.kind == "image"
    assert asset.properties.width == 32
    assert _name(asset) == "image.png"  # named after the sniffed type
    assert scenario_emulator.count("POST /assets") == 1
    assert scenario_emulator.count("POST /uploads") == 0


def test_local_path_pathlike_and_file_uri(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "first frame.png"
    path.write_bytes(make_png(16, 9))

    ids = [
        hook.upload_image(str(path)),
        hook.upload_image(path),
        hook.upload_image(f"file://{path}", name="renamed.png"),
    ]

    assert len(set(ids)) == 3
    assert [_name(hook.get_asset(i)) for i in ids] == [
        "first frame.png",
        "first frame.png",
        "renamed.png",
    ]
    assert scenario_emulator.count("POST /assets") == 3


def test_large_image_uses_the_multipart_flow_without_credentials_on_part_urls(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, tmp_path: Path
) -> None:
    data = _large_png(11 * MIB)
    path = tmp_path / "large.png"
    path.write_bytes(data)
    seen = _record_requests(hook)

    asset_id = hook.upload_image(path)

    asset = hook.get_asset(asset_id)
    assert asset.kind == "image"
    assert asset.properties.size == len(data)
    assert scenario_emulator.count("POST /assets") == 0
    assert scenario_emulator.count("POST /uploads") == 1
    assert scenario_emulator.count("PUT /upload-parts/{uploadId}/{partNumber}") == 2
    assert scenario_emulator.count("POST /uploads/{uploadId}/action") == 1
    puts = [r for r in seen if r.method == "PUT"]
    assert len(puts) == 2
    assert all("Authorization" not in r.headers for r in puts)  # presigned: no Basic credentials
    assert all("projectId" not in (r.url or "") for r in puts)
    assert all("Authorization" in r.headers for r in seen if r.method != "PUT")


@pytest.mark.skipif(not S3_AVAILABLE, reason=S3_MISSING_REASON)
def test_large_image_streamed_from_object_storage(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator, s3_bucket: S3Bucket
) -> None:
    uri = f"s3://aws_default@{s3_bucket.name}/in/large.png"
    data = _large_png(10 * MIB + 123)
    ObjectStoragePath(uri).write_bytes(data)

    asset_id = hook.upload_image(uri)

    asset = hook.get_asset(asset_id)
    assert asset.properties.size == len(data)
    assert _name(asset) == "large.png"
    assert scenario_emulator.count("PUT /upload-parts/{uploadId}/{partNumber}") == 2


def test_a_failed_upload_raises_with_the_api_message(hook: ScenarioHook, tmp_path: Path) -> None:
    path = tmp_path / "not-really.png"  # the extension says PNG, the bytes do not
    path.write_bytes(b"\0" * (SMALL_UPLOAD_LIMIT + 1))

    with pytest.raises(ScenarioUploadError, match="failed: Invalid image"):
        hook.upload_image(path)


def test_non_image_bytes_are_refused_before_any_request(
    hook: ScenarioHook, scenario_emulator: ScenarioEmulator
) -> None:
    with pytest.raises(InvalidParameterError, match="not a supported image"):
        hook.upload_image(b"hello, world")
    with pytest.raises(InvalidParameterError, match="empty"):
        hook.upload_image(b"")

    assert scenario_emulator.count("POST /assets") == 0


# --- pieces without HTTP --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (7 * MIB, (7 * MIB, 1)),
        (10 * MIB, (5 * MIB, 2)),
        (11 * MIB, (5 * MIB + MIB // 2, 2)),
        (10_000 * 6 * MIB, (6 * MIB, 10_000)),
    ],
)
def test_plan_parts(size: int, expected: tuple[int, int]) -> None:
    part_size, count = plan_parts(size)
    assert (part_size, count) == expected
    assert part_size >= MIN_PART_SIZE
    assert part_size * (count - 1) < size <= part_size * count


def test_read_exactly_reads_across_short_reads() -> None:
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            chunk, self.data = self.data[: min(size, 3)], self.data[min(size, 3) :]
            return chunk

    stream = Trickle(b"0123456789")
    assert read_exactly(stream, 7) == b"0123456"  # type: ignore[arg-type]
    assert read_exactly(stream, 7) == b"789"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (make_png(1, 1), "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"II*\0....", "image/tiff"),
        (b"\0\0\0\x1cftypavif", "image/avif"),
        (b"\0\0\0\x18ftypheic", "image/heic"),
        (b'  <?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b"%PDF-1.7", None),
    ],
)
def test_sniff_content_type(head: bytes, expected: str | None) -> None:
    assert sniff_content_type(head) == expected


def test_extension_wins_over_magic_and_names_default_from_the_type(tmp_path: Path) -> None:
    path = tmp_path / "photo.JPEG"
    path.write_bytes(make_png(1, 1))
    assert image_source(path).content_type == "image/jpeg"
    source = image_source(b"GIF89a\x01\x00\x01\x00")
    assert (source.name, source.content_type, source.size) == ("image.gif", "image/gif", 10)
