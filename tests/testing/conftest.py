"""Helpers for the emulator's own tests: an authenticated HTTP client and an MP4 inspector."""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from airflow_provider_veo.testing import ScenarioEmulator

VALID_BODY: dict[str, Any] = {"prompt": "a fox in the snow", "generateAudio": True}


class Api:
    """``requests`` against one emulator: paths are relative to its ``/v1`` root."""

    def __init__(self, emulator: ScenarioEmulator) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.session.auth = (emulator.api_key, emulator.api_secret)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.emulator.base_url + path, timeout=10, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.emulator.base_url + path, json=json, timeout=10, **kwargs)

    def submit(self, body: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        response = self.post("/generate/custom/model_veo3-1", json=body or VALID_BODY, **kwargs)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()["job"]
        return job

    def wait(self, job_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.get(f"/jobs/{job_id}").json()["job"]
            if job["status"] in ("success", "failure", "canceled") or time.monotonic() > deadline:
                return job
            time.sleep(0.05)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def api(scenario_emulator: ScenarioEmulator) -> Iterator[Api]:
    client = Api(scenario_emulator)
    yield client
    client.close()


@dataclass(frozen=True)
class Mp4Info:
    width: int
    height: int
    duration: float
    handlers: tuple[str, ...]
    video_timescale: int
    video_samples: int


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
            header = 16
        elif size == 0:
            size = end - offset
        yield kind, offset + header, offset + size
        offset += size


def _child(data: bytes, kind: bytes, start: int, end: int) -> tuple[int, int]:
    for box, body, box_end in _boxes(data, start, end):
        if box == kind:
            return body, box_end
    raise AssertionError(f"no {kind!r} box")


def inspect_mp4(data: bytes) -> Mp4Info:
    """Width/height (from the video ``tkhd``), duration (``mvhd``) and track handler types."""
    kinds = [kind for kind, _, _ in _boxes(data)]
    assert kinds[0] == b"ftyp" and b"moov" in kinds and b"mdat" in kinds, kinds
    moov = _child(data, b"moov", 0, len(data))
    mvhd, _ = _child(data, b"mvhd", *moov)
    assert data[mvhd] == 0, "mvhd version 0 expected"
    timescale, duration = struct.unpack(">II", data[mvhd + 12 : mvhd + 20])
    handlers: list[str] = []
    width = height = video_timescale = video_samples = 0
    for kind, body, end in _boxes(data, *moov):
        if kind != b"trak":
            continue
        mdia = _child(data, b"mdia", body, end)
        hdlr, _ = _child(data, b"hdlr", *mdia)
        handler = data[hdlr + 8 : hdlr + 12].decode()
        handlers.append(handler)
        if handler == "vide":
            tkhd, tkhd_end = _child(data, b"tkhd", body, end)
            width, height = (value >> 16 for value in struct.unpack(">II", data[tkhd_end - 8 : tkhd_end]))
            mdhd, _ = _child(data, b"mdhd", *mdia)
            video_timescale = struct.unpack(">I", data[mdhd + 12 : mdhd + 16])[0]
            minf = _child(data, b"minf", *mdia)
            stbl = _child(data, b"stbl", *minf)
            stsz, _ = _child(data, b"stsz", *stbl)
            video_samples = struct.unpack(">I", data[stsz + 8 : stsz + 12])[0]
    return Mp4Info(width, height, duration / timescale, tuple(handlers), video_timescale, video_samples)
