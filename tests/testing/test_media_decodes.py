"""The emulator's videos decode with an independent decoder (FFmpeg, through PyAV), not only our probe."""

from __future__ import annotations

import io

import av
import pytest

from airflow_provider_veo.models.veo31 import FRAME_RATE, FRAME_SIZES
from airflow_provider_veo.testing.emulator.media import build_mp4, synthetic_mp4_chunks


@pytest.mark.parametrize(("aspect_ratio", "resolution"), sorted(FRAME_SIZES))
@pytest.mark.parametrize(("duration", "audio"), [(4, True), (8, False)])
def test_every_frame_and_audio_packet_decodes(
    aspect_ratio: str, resolution: str, duration: int, audio: bool
) -> None:
    width, height = FRAME_SIZES[(aspect_ratio, resolution)]
    data = build_mp4(width=width, height=height, duration=duration, audio=audio)

    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert (video.codec_context.width, video.codec_context.height) == (width, height)
        assert video.average_rate == FRAME_RATE
        assert [s.type for s in container.streams] == (["video", "audio"] if audio else ["video"])
        frames = [frame for frame in container.decode(video=0)]

    assert len(frames) == duration * FRAME_RATE
    assert {(f.width, f.height) for f in frames} == {(width, height)}
    luma_first, luma_last = bytes(frames[0].planes[0]), bytes(frames[-1].planes[0])
    assert len(set(luma_first)) > 1, "the picture is expected to be a gradient, not one flat colour"
    assert luma_first != luma_last, "the picture is expected to move"

    if audio:
        with av.open(io.BytesIO(data)) as container:
            samples = sum(frame.samples for frame in container.decode(audio=0))
            rate = container.streams.audio[0].rate
        assert abs(samples / rate - duration) < 0.05


def test_large_synthetic_asset_decodes() -> None:
    data = b"".join(synthetic_mp4_chunks(8 << 20))
    assert len(data) == 8 << 20
    with av.open(io.BytesIO(data)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames > 0
