"""The gallery's pure rules: filters, links, the storage connection, facts from sidecar or event."""

from __future__ import annotations

from datetime import date, datetime, timezone

from airflow_provider_veo.plugins.gallery.entries import (
    GalleryFilter,
    RecordedVideo,
    VideoEntry,
    pick_job_url,
    stream_url,
    task_instance_url,
)
from airflow_provider_veo.plugins.gallery.storage import storage_conn_id

VIDEO = RecordedVideo(
    event_id=1,
    uri="s3://bucket/d/manual__2026-01-01T00:00:00+00:00/job_1/asset_1.mp4",
    timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc),
    dag_id="d",
    run_id="manual__2026-01-01T00:00:00+00:00",
    task_id="store",
    map_index=-1,
    extra={"job_id": "job_1", "asset_id": "asset_1", "sha256": "ab", "size": 10},
)


def test_day_range_is_inclusive_in_utc() -> None:
    flt = GalleryFilter(date_from=date(2026, 1, 2), date_to=date(2026, 1, 3))
    assert flt.since == datetime(2026, 1, 2, tzinfo=timezone.utc)
    assert flt.before == datetime(2026, 1, 4, tzinfo=timezone.utc)
    assert GalleryFilter().since is None
    assert GalleryFilter().before is None


def test_filter_query_keeps_what_is_set_and_applies_changes() -> None:
    flt = GalleryFilter(dag_id="d", run_id="r 1", date_from=date(2026, 1, 2), offset=24)
    assert flt.query() == "dag_id=d&run_id=r+1&date_from=2026-01-02&offset=24"
    assert flt.query(offset=0) == "dag_id=d&run_id=r+1&date_from=2026-01-02"


def test_task_instance_url_encodes_run_ids_and_knows_mapped_tasks() -> None:
    assert (
        task_instance_url("", VIDEO) == "/dags/d/runs/manual__2026-01-01T00%3A00%3A00%2B00%3A00/tasks/store"
    )
    mapped = RecordedVideo(**{**VIDEO.__dict__, "map_index": 3})
    assert task_instance_url("/airflow", mapped).endswith("/tasks/store/mapped/3")  # type: ignore[union-attr]
    assert task_instance_url("", RecordedVideo(**{**VIDEO.__dict__, "task_id": None})) is None


def test_stream_url_carries_the_recorded_uri() -> None:
    assert (
        stream_url(VIDEO)
        == "video?uri=s3%3A%2F%2Fbucket%2Fd%2Fmanual__2026-01-01T00%3A00%3A00%2B00%3A00%2Fjob_1%2Fasset_1.mp4"
    )


def test_job_url_is_the_one_pushed_for_this_job() -> None:
    urls = ["https://app.scenario.com/jobs/job_10", "https://app.scenario.com/jobs/job_1"]
    assert pick_job_url("job_1", urls) == "https://app.scenario.com/jobs/job_1"
    assert pick_job_url("job_2", urls) is None
    assert pick_job_url(None, urls) is None


def test_storage_connection_configured_then_task_then_default() -> None:
    configured = {"s3://bucket/": "reader", "s3://bucket/d/": "d_reader"}
    rendered = {"dest_conn_id": "writer", "destination": "s3://other@bucket/"}
    assert storage_conn_id(VIDEO.uri, configured=configured, rendered=rendered) == "d_reader"  # longest
    assert storage_conn_id(VIDEO.uri, configured={}, rendered=rendered) == "writer"
    assert (
        storage_conn_id(VIDEO.uri, configured={}, rendered={"destination": "s3://other@bucket/"}) == "other"
    )
    assert storage_conn_id(VIDEO.uri, configured={}, rendered={"destination": "s3://bucket/"}) is None
    assert storage_conn_id(VIDEO.uri, configured={"gs://": "g"}, rendered={}) is None


def test_recorded_facts_win_over_the_sidecar_which_adds_the_rest() -> None:
    without = VideoEntry(VIDEO, None, "unreadable", None, None, "video?uri=x")
    assert without.fact("sha256") == "ab"
    assert without.to_json()["prompt"] is None
    assert without.to_json()["metadata_problem"] == "unreadable"
    sidecar = {"sha256": "cd", "prompt": "a fox", "width": 1280}
    with_sidecar = VideoEntry(VIDEO, sidecar, None, None, None, "video?uri=x")
    assert with_sidecar.fact("sha256") == "ab"
    assert with_sidecar.fact("width") == 1280
    assert with_sidecar.to_json()["prompt"] == "a fox"
    event_without_sha = RecordedVideo(**{**VIDEO.__dict__, "extra": {"job_id": "job_1"}})
    assert VideoEntry(event_without_sha, sidecar, None, None, None, "x").fact("sha256") == "cd"
