"""Assets and the CDN: real MP4 outputs, signed URLs that expire, Range requests, image uploads."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator, make_png
from airflow_provider_veo.testing.emulator.media import synthetic_mp4_slice
from airflow_provider_veo.testing.emulator.signing import rolling_expiry
from airflow_provider_veo.testing.mp4probe import probe_mp4

from .conftest import VALID_BODY, Api

SDK_ASSET_FIELDS = {
    "id",
    "authorId",
    "ownerId",
    "collectionIds",
    "editCapabilities",
    "kind",
    "mimeType",
    "privacy",
    "source",
    "status",
    "tags",
    "url",
    "createdAt",
    "updatedAt",
    "metadata",
    "properties",
}


def _finished_asset(api: Api, **fields: Any) -> dict[str, Any]:
    job = api.wait(api.submit({**VALID_BODY, **fields})["jobId"])
    assert job["status"] == "success"
    response = api.get(f"/assets/{job['metadata']['assetIds'][0]}")
    assert response.status_code == 200
    asset: dict[str, Any] = response.json()["asset"]
    return asset


def _policy(url: str) -> dict[str, Any]:
    raw = parse_qs(urlsplit(url).query)["Policy"][0]
    decoded = base64.b64decode(raw.translate(str.maketrans("-_~", "+=/")))
    policy: dict[str, Any] = json.loads(decoded)
    return policy


@pytest.mark.parametrize(
    ("aspect_ratio", "resolution", "duration", "audio", "size"),
    [
        ("16:9", "720p", 8, True, (1280, 720)),
        ("16:9", "1080p", 4, False, (1920, 1080)),
        ("9:16", "720p", 6, True, (720, 1280)),
        ("9:16", "1080p", 4, True, (1080, 1920)),
    ],
)
def test_the_output_is_a_real_mp4_matching_the_request(
    fast_api: Api, aspect_ratio: str, resolution: str, duration: int, audio: bool, size: tuple[int, int]
) -> None:
    asset = _finished_asset(
        fast_api, aspectRatio=aspect_ratio, resolution=resolution, duration=duration, generateAudio=audio
    )

    assert set(asset) >= SDK_ASSET_FIELDS
    assert asset["kind"] == "video"
    assert asset["mimeType"] == "video/mp4"
    assert asset["status"] == "success"
    assert asset["metadata"]["kind"] == "video"
    assert asset["metadata"]["type"] == "txt2video"
    assert asset["metadata"]["modelId"] == "model_veo3-1"
    assert isinstance(asset["metadata"]["seed"], str)
    props = asset["properties"]
    assert (props["width"], props["height"]) == size
    assert props["duration"] == duration
    assert props["frameRate"] == 24

    data = requests.get(asset["url"], timeout=10).content

    assert props["size"] == len(data)
    info = probe_mp4(data)
    assert (info.width, info.height) == size
    assert info.duration == pytest.approx(duration)
    assert info.fps == 24
    assert info.has_audio is audio


def test_first_frame_jobs_are_img2video_and_keep_the_seed(fast_api: Api) -> None:
    image = fast_api.emulator.create_image_asset()

    asset = _finished_asset(fast_api, image=image, seed=42)

    assert asset["source"] == "img2video"
    assert asset["metadata"]["seed"] == "42"


def test_asset_of_an_unfinished_job_does_not_exist_yet(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    asset_id = api.wait(api.submit()["jobId"])["metadata"]["assetIds"][0]
    scenario_emulator.reset()  # same seed: the next job gets the same output asset id

    job = api.submit()

    assert api.get(f"/assets/{asset_id}").status_code == 404
    assert api.wait(job["jobId"])["metadata"]["assetIds"] == [asset_id]
    assert api.get(f"/assets/{asset_id}").status_code == 200


def test_download_endpoint_issues_a_signed_cdn_url(fast_api: Api) -> None:
    asset = _finished_asset(fast_api)

    response = fast_api.post(f"/assets/{asset['id']}/download", json={})
    bad_format = fast_api.post(f"/assets/{asset['id']}/download", json={"targetFormat": "gif"})

    assert response.status_code == 200
    body = response.json()
    assert body["mimeType"] == "video/mp4"
    parts = urlsplit(body["url"])
    assert parts.path == f"/cdn/assets/{asset['id']}"
    assert set(parse_qs(parts.query)) == {"Policy", "Signature", "Key-Pair-Id"}
    assert requests.get(body["url"], timeout=10).content[4:8] == b"ftyp"
    assert bad_format.status_code == 400
    assert bad_format.json()["reason"] == "Invalid target format"
    assert fast_api.emulator.downloads == 1


def test_default_url_lifetime_follows_the_rolling_window(
    api: Api, scenario_emulator: ScenarioEmulator
) -> None:
    asset_id = scenario_emulator.create_image_asset()
    url = api.get(f"/assets/{asset_id}").json()["asset"]["url"]

    deadline = _policy(url)["Statement"][0]["Condition"]["DateLessThan"]["AWS:EpochTime"]

    assert deadline - time.time() >= 24 * 3600
    expected = rolling_expiry(datetime.now(timezone.utc)).timestamp()
    assert abs(deadline - expected) <= 1


@pytest.mark.parametrize(
    ("issued", "expires"),
    [
        (datetime(2026, 11, 3, 8, 0), datetime(2026, 11, 14, 23, 59, 59)),
        (datetime(2026, 11, 8, 0, 0), datetime(2026, 11, 21, 23, 59, 59)),
        (datetime(2026, 2, 20, 12, 0), datetime(2026, 2, 28, 23, 59, 59)),
        (datetime(2026, 12, 22, 0, 0), datetime(2027, 1, 7, 23, 59, 59)),
        (datetime(2026, 1, 31, 23, 59), datetime(2026, 2, 7, 23, 59, 59)),
    ],
)
def test_rolling_expiry_windows(issued: datetime, expires: datetime) -> None:
    assert rolling_expiry(issued.replace(tzinfo=timezone.utc)) == expires.replace(tzinfo=timezone.utc)


def test_tampered_urls_are_403(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    first, second = scenario_emulator.create_image_asset(), scenario_emulator.create_image_asset()
    url = api.get(f"/assets/{first}").json()["asset"]["url"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)

    tampered_signature = url.replace("Signature=", "Signature=A")
    other_asset = url.replace(first, second)
    no_signature = f"{parts.scheme}://{parts.netloc}{parts.path}?Policy={query['Policy'][0]}"

    assert requests.get(url, timeout=10).status_code == 200
    for bad in (tampered_signature, other_asset, no_signature, url.split("?")[0]):
        response = requests.get(bad, timeout=10)
        assert response.status_code == 403, bad
        assert b"AccessDenied" in response.content


def test_urls_expire_after_the_configured_ttl(scenario_emulator_factory: Any) -> None:
    with scenario_emulator_factory(EmulatorConfig(url_ttl=1)) as emu:
        api = Api(emu)
        url = api.get(f"/assets/{emu.create_image_asset()}").json()["asset"]["url"]
        deadline = _policy(url)["Statement"][0]["Condition"]["DateLessThan"]["AWS:EpochTime"]
        assert requests.get(url, timeout=10).status_code == 200
        time.sleep(max(deadline - time.time(), 0) + 0.05)
        expired = requests.get(url, timeout=10)
        fresh = api.get(f"/assets/{emu.create_image_asset()}").json()["asset"]["url"]
        api.close()
        assert expired.status_code == 403
        assert requests.get(fresh, timeout=10).status_code == 200


def test_expire_urls_now(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    asset_id = scenario_emulator.create_image_asset()
    old = api.post(f"/assets/{asset_id}/download").json()["url"]

    scenario_emulator.expire_urls()
    new = api.post(f"/assets/{asset_id}/download").json()["url"]

    assert requests.get(old, timeout=10).status_code == 403
    assert requests.get(new, timeout=10).status_code == 200


def test_range_requests(fast_api: Api) -> None:
    asset = _finished_asset(fast_api)
    whole = requests.get(asset["url"], timeout=10)
    size = len(whole.content)

    middle = requests.get(asset["url"], headers={"Range": "bytes=100-199"}, timeout=10)
    tail = requests.get(asset["url"], headers={"Range": "bytes=-50"}, timeout=10)
    open_ended = requests.get(asset["url"], headers={"Range": f"bytes={size - 10}-"}, timeout=10)
    beyond = requests.get(asset["url"], headers={"Range": f"bytes={size}-"}, timeout=10)

    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Content-Type"] == "video/mp4"
    assert int(whole.headers["Content-Length"]) == size
    assert middle.status_code == 206
    assert middle.headers["Content-Range"] == f"bytes 100-199/{size}"
    assert middle.content == whole.content[100:200]
    assert tail.status_code == 206
    assert tail.content == whole.content[-50:]
    assert open_ended.status_code == 206
    assert open_ended.content == whole.content[-10:]
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{size}"
    assert middle.headers["ETag"] == whole.headers["ETag"]


def test_head_returns_headers_only(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    asset_id = scenario_emulator.create_image_asset(width=16, height=16)
    url = api.get(f"/assets/{asset_id}").json()["asset"]["url"]

    response = requests.head(url, timeout=10)

    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(make_png(16, 16))


def test_large_synthetic_video_is_streamed(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    size = 48 * 1024 * 1024 + 123
    asset_id = scenario_emulator.create_video_asset(size=size)
    asset = api.get(f"/assets/{asset_id}").json()["asset"]

    received = 0
    with requests.get(asset["url"], stream=True, timeout=30) as response:
        first = b""
        for chunk in response.iter_content(1 << 20):
            first = first or chunk
            received += len(chunk)
    window = requests.get(asset["url"], headers={"Range": "bytes=30000000-30000099"}, timeout=10)

    assert asset["properties"]["size"] == size
    assert asset["kind"] == "video"
    assert received == size
    assert first[4:8] == b"ftyp"
    assert window.content == synthetic_mp4_slice(size, 30_000_000, 30_000_100)


def test_create_video_asset_without_size_is_a_real_video(
    api: Api, scenario_emulator: ScenarioEmulator
) -> None:
    asset = api.get(f"/assets/{scenario_emulator.create_video_asset()}").json()["asset"]

    info = probe_mp4(requests.get(asset["url"], timeout=10).content)

    assert (info.width, info.height, info.duration) == (1280, 720, 8)


def test_inline_image_upload(api: Api) -> None:
    png = make_png(320, 180)

    plain = api.post("/assets", json={"name": "frame.png", "image": base64.b64encode(png).decode()})
    data_url = api.post(
        "/assets", json={"name": "f.png", "image": "data:image/png;base64," + base64.b64encode(png).decode()}
    )

    assert plain.status_code == 200
    asset = plain.json()["asset"]
    assert set(asset) >= SDK_ASSET_FIELDS
    assert asset["id"].startswith("asset_")
    assert asset["kind"] == "image"
    assert asset["mimeType"] == "image/png"
    assert asset["metadata"] == {"kind": "image", "type": "uploaded", "name": "frame.png"}
    assert asset["properties"] == {"size": len(png), "width": 320, "height": 180}
    assert requests.get(asset["url"], timeout=10).content == png
    assert data_url.status_code == 200
    assert (
        api.post("/generate/custom/model_veo3-1", json={**VALID_BODY, "image": asset["id"]}).status_code
        == 200
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x.png", "image": "not base64!!"},
        {"name": "x.png", "image": base64.b64encode(b"plain text, not an image").decode()},
        {"image": base64.b64encode(make_png(2, 2)).decode()},
        {"name": "x.png"},
    ],
)
def test_inline_upload_rejects_bad_images(api: Api, body: dict[str, Any]) -> None:
    response = api.post("/assets", json=body)

    assert response.status_code == 400
    assert response.json()["reason"]


def test_inline_upload_size_limit(scenario_emulator_factory: Any) -> None:
    with scenario_emulator_factory(EmulatorConfig(max_inline_image_bytes=100)) as emu:
        api = Api(emu)
        big = base64.b64encode(make_png(200, 200, rgb=(1, 2, 3)) + b"\0" * 200).decode()
        response = api.post("/assets", json={"name": "big.png", "image": big})
        api.close()

    assert response.status_code == 400
    assert "POST /uploads" in response.json()["hint"]


def test_project_scoped_assets(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    asset_id = scenario_emulator.create_image_asset(project_id="proj_a")

    assert (
        api.get(f"/assets/{asset_id}", params={"projectId": "proj_a"}).json()["asset"]["ownerId"] == "proj_a"
    )
    assert api.get(f"/assets/{asset_id}", params={"projectId": "proj_b"}).status_code == 404
    assert api.get("/assets/asset_missing").json() == {"reason": "Asset not found"}
