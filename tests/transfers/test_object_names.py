"""Object names: ids and templates from the API or users can never escape the destination."""

from __future__ import annotations

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_provider_veo.exceptions import AssetTransferError
from airflow_provider_veo.transfers.object_names import (
    destination_path,
    public_uri,
    render_object_name,
    safe_id,
)

PREFIX = ObjectStoragePath("file:///data/videos/")


def test_ids_fill_the_template() -> None:
    name = render_object_name(
        "dag/2026-11-24/{job_id}/{asset_id}.mp4", job_id="job_A1", asset_id="asset_b-2.x"
    )
    assert name == "dag/2026-11-24/job_A1/asset_b-2.x.mp4"
    assert destination_path(PREFIX, name).path == "/data/videos/dag/2026-11-24/job_A1/asset_b-2.x.mp4"


def test_other_braces_in_the_template_are_kept() -> None:
    assert render_object_name("{x}/{asset_id}", job_id=None, asset_id="a") == "{x}/a"


@pytest.mark.parametrize(
    "hostile",
    ["..", ".", "../../etc/passwd", "a/b", "/etc/passwd", "a\\b", "asset id", "", "a\x00b", "é", "s3:x"],
)
def test_hostile_asset_ids_are_refused(hostile: str) -> None:
    with pytest.raises(AssetTransferError, match="Refusing to use asset id"):
        render_object_name("{asset_id}.mp4", job_id=None, asset_id=hostile)


def test_hostile_job_id_is_refused() -> None:
    with pytest.raises(AssetTransferError, match=r"Refusing to use job id '\.\./x'"):
        render_object_name("{job_id}/{asset_id}.mp4", job_id="../x", asset_id="asset_1")


def test_job_id_field_without_a_job_is_an_error() -> None:
    with pytest.raises(AssetTransferError, match="job of asset 'asset_1' is unknown"):
        render_object_name("{job_id}/{asset_id}.mp4", job_id=None, asset_id="asset_1")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../outside.mp4", "'..' segment"),
        ("a/../../outside.mp4", "'..' segment"),
        ("a/./b.mp4", "'.' or '..' segment"),
        ("a//b.mp4", "empty"),
        ("/etc/cron.d/x", "absolute"),
        ("~/x.mp4", "absolute"),
        ("s3://other-bucket/x.mp4", "URL scheme"),
        ("a\\..\\b.mp4", "backslash"),
        ("a/\nb.mp4", "control characters"),
        ("folder/", "directory"),
        ("", "empty"),
    ],
)
def test_template_results_that_escape_are_refused(name: str, problem: str) -> None:
    with pytest.raises(AssetTransferError, match=problem):
        destination_path(PREFIX, name)


def test_timestamps_in_names_are_fine() -> None:
    name = "dag/manual__2026-11-24T10:00:00.123+00:00/asset_1.mp4"
    assert destination_path(PREFIX, name).name == "asset_1.mp4"


def test_safe_id_accepts_scenario_ids() -> None:
    assert safe_id("asset_GTrL3mq4SXWyMxkOHRxlpw", what="asset id") == "asset_GTrL3mq4SXWyMxkOHRxlpw"


def test_public_uri_has_no_connection_id() -> None:
    path = ObjectStoragePath("s3://aws_default@bucket/prefix/a.mp4")
    assert path.conn_id == "aws_default"
    assert public_uri(path) == "s3://bucket/prefix/a.mp4"
    assert public_uri(ObjectStoragePath("file:///tmp/a.mp4")) == "file:///tmp/a.mp4"
