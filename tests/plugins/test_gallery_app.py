"""The gallery app: authentication, DAG authorization, listing and filters, the recorded-URI check,
and Range streaming from local files and S3 (moto), through FastAPI's TestClient."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from airflow_provider_veo.plugins.gallery.storage import CHUNK_SIZE
from tests.support.optional import S3_AVAILABLE, S3_MISSING_REASON

Headers = Callable[[str], dict[str, str]]
VIDEO_BYTES = os.urandom(3 * CHUNK_SIZE + 123)  # several chunks, not a multiple of the chunk size


def land(folder: Path, name: str = "asset_1.mp4", *, sidecar: dict[str, object] | None = None) -> str:
    """A video file (and its sidecar) as the transfer leaves it; returns its recorded URI."""
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / name
    video.write_bytes(VIDEO_BYTES)
    if sidecar is not None:
        (folder / f"{name}.json").write_text(json.dumps(sidecar))
    return f"file://{video}"


def videos(client: TestClient, headers: dict[str, str], **query: str) -> list[dict[str, object]]:
    response = client.get("/api/videos", params=query, headers=headers)
    assert response.status_code == 200, response.text
    listed: list[dict[str, object]] = response.json()["videos"]
    return listed


# --- authentication and authorization ----------------------------------------------------------------


def test_no_route_answers_without_a_session(client: TestClient, gallery_auth: Headers) -> None:
    page = client.get("/?dag_id=d")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/auth/login?next=")
    assert client.get("/api/videos").status_code == 401
    assert client.get("/video", params={"uri": "file:///etc/passwd"}).status_code == 401
    forged = {"Authorization": "Bearer not-a-jwt"}
    assert client.get("/api/videos", headers=forged).status_code == 403


def test_a_user_sees_only_videos_of_dags_they_may_read(
    client: TestClient, gallery_auth: Headers, record_video: Callable[..., str], dag_id: str, tmp_path: Path
) -> None:
    uri = record_video(land(tmp_path / "v"), dag_id=dag_id)
    assert [v["uri"] for v in videos(client, gallery_auth("reviewer"), dag_id=dag_id)] == [uri]
    assert videos(client, gallery_auth("outsider"), dag_id=dag_id) == []
    assert client.get("/video", params={"uri": uri}, headers=gallery_auth("outsider")).status_code == 404
    page = client.get("/", params={"dag_id": dag_id}, headers=gallery_auth("outsider"))
    assert "No videos you may see" in page.text


# --- listing -------------------------------------------------------------------------------------------


def test_newest_first_one_entry_per_video_and_filters(
    client: TestClient, gallery_auth: Headers, record_video: Callable[..., str], dag_id: str, tmp_path: Path
) -> None:
    day = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
    old = record_video(
        land(tmp_path / "old"), dag_id=dag_id, run_id="run_a", timestamp=day - timedelta(days=2)
    )
    new = record_video(land(tmp_path / "new"), dag_id=dag_id, run_id="run_b", timestamp=day)
    # A cleared and re-run task announces the same video again: still one entry, at its newest event.
    record_video(old, dag_id=dag_id, run_id="run_a", timestamp=day + timedelta(hours=1), written=False)
    reviewer = gallery_auth("reviewer")

    listed = videos(client, reviewer, dag_id=dag_id)
    assert [v["uri"] for v in listed] == [old, new]
    assert listed[0]["written"] is False
    assert [v["uri"] for v in videos(client, reviewer, dag_id=dag_id, run_id="run_b")] == [new]
    # Filters pick events first: the first landing of "old" (two days before) matches alone.
    before = videos(client, reviewer, dag_id=dag_id, date_to="2026-03-09")
    assert [(v["uri"], v["written"]) for v in before] == [(old, True)]
    assert videos(client, reviewer, dag_id=dag_id, date_to="2026-03-07") == []
    assert [v["uri"] for v in videos(client, reviewer, dag_id=dag_id, date_from="2026-03-10")] == [old, new]
    assert [v["uri"] for v in videos(client, reviewer, dag_id=dag_id, date_to="2026-03-10")] == [old, new]

    first = client.get("/api/videos", params={"dag_id": dag_id, "limit": 1}, headers=reviewer).json()
    second = client.get(
        "/api/videos", params={"dag_id": dag_id, "limit": 1, "offset": 1}, headers=reviewer
    ).json()
    assert (first["has_more"], second["has_more"]) == (True, False)
    assert [v["uri"] for v in first["videos"] + second["videos"]] == [old, new]
    assert client.get("/api/videos", params={"limit": 0}, headers=reviewer).status_code == 422


def test_events_on_other_aliases_are_not_listed(
    client: TestClient, gallery_auth: Headers, record_video: Callable[..., str], dag_id: str, tmp_path: Path
) -> None:
    record_video(land(tmp_path / "v"), dag_id=dag_id, alias="something-else")
    assert videos(client, gallery_auth("reviewer"), dag_id=dag_id) == []


def test_an_entry_shows_its_sidecar_and_links(
    client: TestClient, gallery_auth: Headers, record_video: Callable[..., str], dag_id: str, tmp_path: Path
) -> None:
    sidecar = {
        "prompt": "a <b>fox</b>",
        "negative_prompt": "blur",
        "seed": 7,
        "model_id": "model_veo3-1",
        "parameters": {"duration": 4},
        "duration": 4,
        "cost": 40,
        "sha256": "ab" * 32,
    }
    uri = record_video(land(tmp_path / "v", sidecar=sidecar), dag_id=dag_id, run_id="run_1")
    [entry] = videos(client, gallery_auth("reviewer"), dag_id=dag_id)
    assert {key: entry[key] for key in sidecar} == sidecar
    assert entry["metadata_problem"] is None
    assert entry["task_instance_url"] == f"/dags/{dag_id}/runs/run_1/tasks/store"
    assert entry["stream_url"] == "video?" + urlencode({"uri": uri})

    page = client.get("/", params={"dag_id": dag_id}, headers=gallery_auth("reviewer")).text
    assert "a &lt;b&gt;fox&lt;/b&gt;" in page  # escaped, never markup
    assert "<b>fox</b>" not in page
    assert "40 CU" in page


def test_unreadable_metadata_still_lists_the_video_and_says_why(
    client: TestClient, gallery_auth: Headers, record_video: Callable[..., str], dag_id: str, tmp_path: Path
) -> None:
    record_video(land(tmp_path / "v"), dag_id=dag_id)  # no sidecar
    [entry] = videos(client, gallery_auth("reviewer"), dag_id=dag_id)
    assert entry["sha256"] == "ab" * 32  # from the asset event
    assert entry["metadata_problem"] == "No metadata file (sidecar) next to the video."
    page = client.get("/", params={"dag_id": dag_id}, headers=gallery_auth("reviewer")).text
    assert "Metadata unavailable: No metadata file (sidecar) next to the video." in page


def test_a_store_the_api_server_cannot_read_shows_metadata_and_the_reason(
    client: TestClient, gallery_auth: Headers, record_video: Callable[..., str], dag_id: str
) -> None:
    uri = record_video("nosuchstore://bucket/v.mp4", dag_id=dag_id)
    [entry] = videos(client, gallery_auth("reviewer"), dag_id=dag_id)
    assert entry["asset_id"] == "asset_1"
    assert "cannot" in str(entry["metadata_problem"])
    response = client.get("/video", params={"uri": uri}, headers=gallery_auth("reviewer"))
    assert response.status_code == 502
    assert "cannot" in response.text


# --- the recorded-URI check -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "asked",
    [
        "file:///etc/passwd",
        "{uri}/../../../../etc/passwd",
        "{uri}.json",  # the sidecar is not a recorded video
        "{uri_upper}",
        "{uri} ",
    ],
)
def test_only_a_recorded_uri_reaches_the_storage(
    client: TestClient,
    gallery_auth: Headers,
    record_video: Callable[..., str],
    dag_id: str,
    tmp_path: Path,
    asked: str,
) -> None:
    uri = record_video(land(tmp_path / "v", sidecar={}), dag_id=dag_id)
    asked = asked.format(uri=uri, uri_upper=uri.upper())
    response = client.get("/video", params={"uri": asked}, headers=gallery_auth("reviewer"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such video."}


def test_configured_prefixes_bound_what_the_api_server_reads(
    client: TestClient,
    gallery_auth: Headers,
    record_video: Callable[..., str],
    dag_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inside = record_video(land(tmp_path / "inside", sidecar={"prompt": "in"}), dag_id=dag_id)
    outside = record_video(land(tmp_path / "outside", sidecar={"prompt": "out"}), dag_id=dag_id)
    monkeypatch.setenv("AIRFLOW__SCENARIO_VEO__GALLERY_URI_PREFIXES", f"s3://x/, file://{tmp_path}/inside/")
    reviewer = gallery_auth("reviewer")
    listed = {v["uri"]: (v["prompt"], v["metadata_problem"]) for v in videos(client, reviewer, dag_id=dag_id)}
    assert listed[inside] == ("in", None)
    assert listed[outside][0] is None
    assert "gallery_uri_prefixes" in str(listed[outside][1])
    assert client.get("/video", params={"uri": inside}, headers=reviewer).status_code == 200
    assert client.get("/video", params={"uri": outside}, headers=reviewer).status_code == 403


# --- streaming ------------------------------------------------------------------------------------------


def check_streaming(client: TestClient, headers: dict[str, str], uri: str) -> None:
    whole = client.get("/video", params={"uri": uri}, headers=headers)
    assert whole.status_code == 200
    assert whole.content == VIDEO_BYTES
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(len(VIDEO_BYTES))
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["etag"] == f'"{"ab" * 32}"'

    size = len(VIDEO_BYTES)
    for header, start, end in [
        ("bytes=0-1", 0, 1),
        (f"bytes={CHUNK_SIZE - 10}-{2 * CHUNK_SIZE + 10}", CHUNK_SIZE - 10, 2 * CHUNK_SIZE + 10),
        ("bytes=-100", size - 100, size - 1),
        (f"bytes={size - 5}-", size - 5, size - 1),
    ]:
        part = client.get("/video", params={"uri": uri}, headers={**headers, "Range": header})
        assert part.status_code == 206, header
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert part.headers["content-length"] == str(end - start + 1)
        assert part.content == VIDEO_BYTES[start : end + 1]

    beyond = client.get("/video", params={"uri": uri}, headers={**headers, "Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"


def test_streams_local_files_with_ranges(
    client: TestClient, gallery_auth: Headers, record_video: Callable[..., str], dag_id: str, tmp_path: Path
) -> None:
    uri = record_video(land(tmp_path / "v"), dag_id=dag_id)
    check_streaming(client, gallery_auth("reviewer"), uri)


def test_streams_in_chunks_without_reading_the_whole_file(tmp_path: Path) -> None:
    from airflow_provider_veo.plugins.gallery.byte_ranges import ByteRange
    from airflow_provider_veo.plugins.gallery.storage import iter_bytes, open_video

    video = open_video(land(tmp_path / "v"), None)
    chunks = list(iter_bytes(video, None))
    assert [len(chunk) for chunk in chunks] == [CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, 123]
    tail = list(iter_bytes(video, ByteRange(len(VIDEO_BYTES) - 10, len(VIDEO_BYTES) - 1)))
    assert tail == [VIDEO_BYTES[-10:]]


def test_a_vanished_video_is_reported_not_crashed(
    client: TestClient, gallery_auth: Headers, record_video: Callable[..., str], dag_id: str, tmp_path: Path
) -> None:
    uri = record_video(land(tmp_path / "v"), dag_id=dag_id)
    (tmp_path / "v" / "asset_1.mp4").unlink()
    response = client.get("/video", params={"uri": uri}, headers=gallery_auth("reviewer"))
    assert response.status_code == 502
    assert response.text == f"The video is no longer in its store ({uri})."


@pytest.mark.skipif(not S3_AVAILABLE, reason=S3_MISSING_REASON)
def test_streams_from_a_private_s3_bucket_with_the_task_connection(
    client: TestClient,
    gallery_auth: Headers,
    record_video: Callable[..., str],
    dag_id: str,
    s3_bucket: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.support.s3_storage import S3Bucket

    assert isinstance(s3_bucket, S3Bucket)
    key = f"{dag_id}/run/job_1/asset_1.mp4"
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=key, Body=VIDEO_BYTES)
    s3_bucket.client.put_object(
        Bucket=s3_bucket.name, Key=key + ".json", Body=json.dumps({"prompt": "s3 fox"})
    )
    # The gallery reads with the connection configured for the bucket (here the moto one).
    monkeypatch.setenv(
        "AIRFLOW__SCENARIO_VEO__GALLERY_STORAGE_CONN_IDS",
        json.dumps({f"s3://{s3_bucket.name}/": "aws_default"}),
    )
    uri = record_video(s3_bucket.uri(key), dag_id=dag_id)

    [entry] = videos(client, gallery_auth("reviewer"), dag_id=dag_id)
    assert entry["prompt"] == "s3 fox"
    check_streaming(client, gallery_auth("reviewer"), uri)


@pytest.mark.skipif(not S3_AVAILABLE, reason=S3_MISSING_REASON)
def test_an_s3_bucket_without_credentials_shows_metadata_and_why(
    client: TestClient,
    gallery_auth: Headers,
    record_video: Callable[..., str],
    dag_id: str,
    s3_bucket: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.support.s3_storage import S3Bucket

    assert isinstance(s3_bucket, S3Bucket)
    key = f"{dag_id}/v.mp4"
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=key, Body=VIDEO_BYTES)
    # A connection the store refuses to serve: nothing listens on its endpoint (one attempt, no retries).
    no_access = {
        "conn_type": "aws",
        "login": "wrong",
        "password": "wrong",
        "extra": {
            "endpoint_url": "http://127.0.0.1:9",
            "region_name": "us-east-1",
            "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1},
        },
    }
    monkeypatch.setenv("AIRFLOW_CONN_NO_ACCESS", json.dumps(no_access))
    monkeypatch.setenv("AIRFLOW__SCENARIO_VEO__GALLERY_STORAGE_CONN_IDS", json.dumps({"s3://": "no_access"}))
    uri = record_video(s3_bucket.uri(key), dag_id=dag_id)
    [entry] = videos(client, gallery_auth("reviewer"), dag_id=dag_id)
    assert entry["size"] == 10
    assert entry["sha256"] == "ab" * 32
    assert "with connection 'no_access'" in str(entry["metadata_problem"])
    response = client.get("/video", params={"uri": uri}, headers=gallery_auth("reviewer"))
    assert response.status_code == 502
    assert "with connection 'no_access'" in response.text
