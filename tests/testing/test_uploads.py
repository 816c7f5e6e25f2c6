"""The multipart upload flow: POST /uploads -> PUT presigned parts -> complete -> imported."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator, make_png

from .conftest import Api

PART = 64 * 1024


@pytest.fixture
def small_parts(scenario_emulator_factory: Any) -> Any:
    with scenario_emulator_factory(EmulatorConfig(min_part_size=PART, upload_import_delay=0.2)) as emu:
        api = Api(emu)
        yield api
        api.close()


def _create(api: Api, data: bytes, parts: int, kind: str = "image", **extra: Any) -> dict[str, Any]:
    body = {
        "fileName": "frame.png",
        "contentType": "image/png",
        "fileSize": len(data),
        "parts": parts,
        "kind": kind,
        **extra,
    }
    response = api.post("/uploads", json=body)
    assert response.status_code == 200, response.text
    upload: dict[str, Any] = response.json()["upload"]
    return upload


def _put_parts(upload: dict[str, Any], chunks: list[bytes]) -> None:
    for part, chunk in zip(upload["parts"], chunks, strict=True):
        response = requests.put(part["url"], data=chunk, timeout=10)  # presigned: no Basic auth
        assert response.status_code == 200, response.text
        assert response.headers["ETag"]


def _complete(api: Api, upload_id: str) -> requests.Response:
    return api.post(f"/uploads/{upload_id}/action", json={"action": "complete"})


def _wait_imported(api: Api, upload_id: str) -> dict[str, Any]:
    for _ in range(100):
        upload: dict[str, Any] = api.get(f"/uploads/{upload_id}").json()["upload"]
        if upload["status"] in ("imported", "failed"):
            return upload
        time.sleep(0.05)
    raise AssertionError("upload never finished")


def test_multipart_image_upload_becomes_an_asset(small_parts: Api) -> None:
    api = small_parts
    png = make_png(1280, 720, rgb=(10, 20, 30)) + b"\0" * (2 * PART)
    chunks = [png[:PART], png[PART : 2 * PART], png[2 * PART :]]

    upload = _create(api, png, parts=3)
    assert upload["status"] == "pending"
    assert upload["id"].startswith("upload_")
    assert [p["number"] for p in upload["parts"]] == [1, 2, 3]
    _put_parts(upload, chunks)
    completed = _complete(api, upload["id"])
    done = _wait_imported(api, upload["id"])

    assert completed.status_code == 200
    assert completed.json()["upload"]["status"] == "validating"
    assert "entityId" not in completed.json()["upload"]
    assert done["status"] == "imported"
    asset = api.get(f"/assets/{done['entityId']}").json()["asset"]
    assert asset["kind"] == "image"
    assert asset["properties"]["width"] == 1280
    assert requests.get(asset["url"], timeout=10).content == png
    assert api.emulator.count("PUT /upload-parts/{uploadId}/{partNumber}") == 3


def test_video_upload(small_parts: Api) -> None:
    data = b"\0\0\0\x18ftypmp42" + bytes(1000)
    upload = _create(small_parts, data, parts=1, kind="video", contentType="video/mp4", fileName="clip.mp4")
    _put_parts(upload, [data])
    _complete(small_parts, upload["id"])

    asset = small_parts.get(f"/assets/{_wait_imported(small_parts, upload['id'])['entityId']}").json()[
        "asset"
    ]

    assert (asset["kind"], asset["source"], asset["mimeType"]) == ("video", "uploaded-video", "video/mp4")


def test_missing_and_small_parts_are_refused(small_parts: Api) -> None:
    data = make_png(8, 8) + bytes(2 * PART)
    upload = _create(small_parts, data, parts=2)
    requests.put(upload["parts"][0]["url"], data=data[:PART], timeout=10)

    missing = _complete(small_parts, upload["id"])
    requests.put(upload["parts"][0]["url"], data=data[:100], timeout=10)  # a part can be sent again
    requests.put(upload["parts"][1]["url"], data=data[100:], timeout=10)
    too_small = _complete(small_parts, upload["id"])

    assert missing.status_code == 400
    assert "Part 2" in missing.json()["reason"]
    assert too_small.status_code == 400
    assert "Part 1" in too_small.json()["reason"]


@pytest.mark.parametrize(
    ("payload", "announced", "error"),
    [(b"not an image at all", None, "Invalid image"), (make_png(4, 4), 10, "fileSize")],
)
def test_bad_content_fails_the_upload(
    scenario_emulator: ScenarioEmulator, api: Api, payload: bytes, announced: int | None, error: str
) -> None:
    upload = _create(api, payload, parts=1, **({"fileSize": announced} if announced else {}))
    _put_parts(upload, [payload])
    _complete(api, upload["id"])

    done = _wait_imported(api, upload["id"])

    assert done["status"] == "failed"
    assert error in done["errorMessage"]
    assert "entityId" not in done


def test_part_urls_are_signed(api: Api) -> None:
    upload = _create(api, make_png(4, 4), parts=1)
    url = upload["parts"][0]["url"]

    tampered = requests.put(url.replace("Signature=", "Signature=0"), data=b"x", timeout=10)
    other_upload = requests.put(url.replace(upload["id"], "upload_other"), data=b"x", timeout=10)

    assert tampered.status_code == 403
    assert other_upload.status_code == 403


@pytest.mark.parametrize(
    "fields",
    [
        {"fileName": ""},
        {"fileSize": 0},
        {"parts": 0},
        {"parts": 10_001},
        {"kind": "model"},
        {"contentType": None},
    ],
)
def test_create_upload_validation(api: Api, fields: dict[str, Any]) -> None:
    body = {
        "fileName": "a.png",
        "contentType": "image/png",
        "fileSize": 10,
        "parts": 1,
        "kind": "image",
        **fields,
    }

    response = api.post("/uploads", json={k: v for k, v in body.items() if v is not None})

    assert response.status_code == 400


def test_unknown_upload_and_bad_action(api: Api) -> None:
    upload = _create(api, make_png(4, 4), parts=1)

    assert api.get("/uploads/upload_missing").status_code == 404
    assert api.post(f"/uploads/{upload['id']}/action", json={"action": "abort"}).status_code == 400
