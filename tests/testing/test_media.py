"""The emulator's generated MP4s: structure, determinism, size, and the padded synthetic stream."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest

from airflow_provider_veo.models.veo31 import ASPECT_RATIOS, DURATIONS, FRAME_RATE, RESOLUTIONS, frame_size
from airflow_provider_veo.testing.emulator.media import (
    SYNTHETIC_DURATION,
    SYNTHETIC_HEIGHT,
    SYNTHETIC_WIDTH,
    build_mp4,
    synthetic_mp4_chunks,
    synthetic_mp4_min_size,
    synthetic_mp4_slice,
)
from airflow_provider_veo.testing.mp4probe import Mp4Info, probe_mp4

SIZES = sorted({frame_size(aspect, resolution) for aspect in ASPECT_RATIOS for resolution in RESOLUTIONS})
COMBINATIONS = [
    pytest.param(size, duration, audio, id=f"{size[0]}x{size[1]}-{duration}s-{'audio' if audio else 'mute'}")
    for size, duration, audio in itertools.product(SIZES, DURATIONS, (True, False))
]


def top_level_boxes(data: bytes, total: int | None = None) -> list[tuple[bytes, int]]:
    """(type, size) of each top-level box of a ``total``-byte file whose box headers are in ``data``."""
    total = len(data) if total is None else total
    boxes, offset = [], 0
    while offset < total:
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, offset + 8)
        boxes.append((kind, size))
        offset += size
    assert offset == total
    return boxes


@pytest.mark.parametrize(("size", "duration", "audio"), COMBINATIONS)
def test_build_mp4_matches_the_request(size: tuple[int, int], duration: int, audio: bool) -> None:
    width, height = size

    info = probe_mp4(build_mp4(width=width, height=height, duration=duration, fps=FRAME_RATE, audio=audio))

    assert info == Mp4Info(
        width=width,
        height=height,
        duration=float(duration),
        fps=float(FRAME_RATE),
        has_audio=audio,
        video_codec="avc1",
        audio_codec="mp4a" if audio else None,
    )


def test_build_mp4_is_deterministic_and_depends_on_every_argument() -> None:
    first = build_mp4(width=1280, height=720, duration=4)
    variants = [
        build_mp4(width=720, height=1280, duration=4),
        build_mp4(width=1280, height=720, duration=6),
        build_mp4(width=1280, height=720, duration=4, audio=False),
        build_mp4(width=1280, height=720, duration=4, fps=30),
    ]

    assert build_mp4(width=1280, height=720, duration=4.0, fps=24, audio=True) == first
    assert first not in variants


def test_build_mp4_is_small_and_starts_with_the_movie_header() -> None:
    data = build_mp4(width=1080, height=1920, duration=8, audio=True)

    assert len(data) < 100_000
    assert [kind for kind, _ in top_level_boxes(data)] == [b"ftyp", b"moov", b"mdat"]
    assert b"avcC" in data
    assert b"esds" in data


def test_build_mp4_honours_other_frame_rates_and_fractional_durations() -> None:
    info = probe_mp4(build_mp4(width=640, height=360, duration=2.5, fps=30, audio=True))

    assert (info.width, info.height, info.fps, info.duration) == (640, 360, 30.0, 2.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 1281, "height": 720, "duration": 4}, "width must be an even integer"),
        ({"width": 1280, "height": 0, "duration": 4}, "height must be an even integer"),
        ({"width": 1280, "height": 720, "duration": 0}, "duration must be positive"),
        ({"width": 1280, "height": 720, "duration": -4}, "duration must be positive"),
        ({"width": 1280, "height": 720, "duration": 4, "fps": 0}, "fps must be an integer"),
        ({"width": 16384, "height": 16384, "duration": 4}, "exceeds H.264 level 5.2"),
    ],
)
def test_build_mp4_rejects_impossible_videos(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_mp4(**kwargs)


def test_probe_reads_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "video.mp4"
    path.write_bytes(build_mp4(width=720, height=1280, duration=6, audio=False))

    info = probe_mp4(path)

    assert (info.width, info.height, info.duration, info.has_audio) == (720, 1280, 6.0, False)
    assert probe_mp4(str(path)) == info


def test_probe_seeks_over_media_data_stored_before_the_movie_header(tmp_path: Path) -> None:
    data = build_mp4(width=1920, height=1080, duration=4, audio=True)
    (ftyp, ftyp_size), (_, moov_size), _ = top_level_boxes(data)
    moov_end = ftyp_size + moov_size
    path = tmp_path / "moov-last.mp4"
    path.write_bytes(data[:ftyp_size] + data[moov_end:] + data[ftyp_size:moov_end])

    info = probe_mp4(path)

    assert ftyp == b"ftyp"
    assert (info.width, info.height, info.duration, info.audio_codec) == (1920, 1080, 4.0, "mp4a")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, this is plain text and not a video at all", "not an MP4"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "not an MP4"),
        (struct.pack(">I4s", 16, b"ftyp") + b"isom" + bytes(4), "no moov"),
        (struct.pack(">I4s", 4096, b"ftyp") + b"isom", "invalid size"),
    ],
)
def test_probe_rejects_data_that_is_not_an_mp4(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        probe_mp4(data)


def test_probe_rejects_an_mp4_without_video() -> None:
    data = build_mp4(width=1280, height=720, duration=4, audio=True)
    without_video = data.replace(b"vide", b"text", 1)

    with pytest.raises(ValueError, match="no video track"):
        probe_mp4(without_video)


def test_probe_rejects_a_truncated_movie_header() -> None:
    data = build_mp4(width=1280, height=720, duration=4, audio=False)

    with pytest.raises(ValueError, match="not an MP4"):
        probe_mp4(data[:200])


SYNTHETIC_SIZE = (3 << 20) + 12_345
CHUNK = 1 << 20


def test_synthetic_stream_has_the_exact_size_and_is_a_valid_video(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    with path.open("wb") as sink:
        chunk_sizes = [sink.write(chunk) for chunk in synthetic_mp4_chunks(SYNTHETIC_SIZE, chunk_size=CHUNK)]

    assert path.stat().st_size == SYNTHETIC_SIZE
    assert chunk_sizes == [CHUNK, CHUNK, CHUNK, 12_345]
    info = probe_mp4(path)
    expected = (SYNTHETIC_WIDTH, SYNTHETIC_HEIGHT, SYNTHETIC_DURATION, 24.0, True)
    assert (info.width, info.height, info.duration, info.fps, info.has_audio) == expected
    data = path.read_bytes()
    assert [kind for kind, _ in top_level_boxes(data)] == [b"ftyp", b"moov", b"mdat"]
    assert data[synthetic_mp4_min_size() :] == bytes(SYNTHETIC_SIZE - synthetic_mp4_min_size())


def test_synthetic_stream_of_the_minimum_size_is_the_unpadded_video() -> None:
    minimum = synthetic_mp4_min_size()

    data = b"".join(synthetic_mp4_chunks(minimum, chunk_size=4096))

    assert len(data) == minimum
    assert probe_mp4(data).duration == SYNTHETIC_DURATION
    assert not data.endswith(bytes(64))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 0),
        (0, 1),
        (0, 100),
        (10, 5000),
        (CHUNK - 10, CHUNK + 10),  # across a chunk boundary
        (CHUNK, 2 * CHUNK),
        (2 * CHUNK - 1, 3 * CHUNK + 1),
        (SYNTHETIC_SIZE - 7, SYNTHETIC_SIZE),
        (SYNTHETIC_SIZE, SYNTHETIC_SIZE),
    ],
)
def test_synthetic_slice_equals_the_same_bytes_of_the_chunks(start: int, end: int) -> None:
    whole = b"".join(synthetic_mp4_chunks(SYNTHETIC_SIZE, chunk_size=CHUNK))

    assert synthetic_mp4_slice(SYNTHETIC_SIZE, start, end) == whole[start:end]


def test_synthetic_slice_across_the_end_of_the_video_and_into_the_padding() -> None:
    minimum = synthetic_mp4_min_size()
    whole = b"".join(synthetic_mp4_chunks(minimum + 1000, chunk_size=777))

    assert (
        synthetic_mp4_slice(minimum + 1000, minimum - 50, minimum + 50) == whole[minimum - 50 : minimum + 50]
    )
    assert whole[minimum:] == bytes(1000)


def test_synthetic_stream_of_a_gibibyte_is_generated_lazily() -> None:
    size = 1 << 30
    chunks = synthetic_mp4_chunks(size)

    first = next(chunks)

    assert len(first) == CHUNK
    assert probe_mp4(first).width == SYNTHETIC_WIDTH  # the moov box sits in the first chunk
    assert synthetic_mp4_slice(size, size - 4, size) == bytes(4)
    assert [kind for kind, _ in top_level_boxes(first, total=size)] == [b"ftyp", b"moov", b"mdat"]


@pytest.mark.parametrize(
    ("size", "start", "end", "message"),
    [
        (SYNTHETIC_SIZE, -1, 10, "invalid range"),
        (SYNTHETIC_SIZE, 10, 5, "invalid range"),
        (SYNTHETIC_SIZE, 0, SYNTHETIC_SIZE + 1, "invalid range"),
        (100, 0, 10, "size must be an integer >= "),
    ],
)
def test_synthetic_slice_rejects_bad_ranges_and_sizes(size: int, start: int, end: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synthetic_mp4_slice(size, start, end)


def test_synthetic_chunks_reject_a_size_too_small_for_the_video_before_yielding() -> None:
    with pytest.raises(ValueError, match=str(synthetic_mp4_min_size())):
        synthetic_mp4_chunks(synthetic_mp4_min_size() - 1)
    with pytest.raises(ValueError, match="chunk_size"):
        synthetic_mp4_chunks(SYNTHETIC_SIZE, chunk_size=0)
