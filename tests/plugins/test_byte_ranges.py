"""HTTP Range parsing for the gallery's video stream."""

from __future__ import annotations

import pytest

from airflow_provider_veo.plugins.gallery.byte_ranges import ByteRange, RangeNotSatisfiableError, parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-", ByteRange(0, 999)),
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=100-199", ByteRange(100, 199)),
        ("bytes=900-5000", ByteRange(900, 999)),  # clipped to the body
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        (" bytes = 5 - 9 ", ByteRange(5, 9)),
    ],
)
def test_single_ranges(header: str, expected: ByteRange) -> None:
    assert parse_range(header, size=1000) == expected


@pytest.mark.parametrize(
    "header", [None, "", "bytes=", "bytes=-", "items=0-1", "bytes=0-1,5-9", "bytes=9-1", "bytes=a-b"]
)
def test_absent_malformed_or_multiple_ranges_mean_the_whole_body(header: str | None) -> None:
    assert parse_range(header, size=1000) is None


@pytest.mark.parametrize(("header", "size"), [("bytes=1000-", 1000), ("bytes=-0", 1000), ("bytes=0-", 0)])
def test_ranges_beyond_the_body_are_not_satisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiableError) as raised:
        parse_range(header, size=size)
    assert raised.value.size == size


def test_content_range_and_length() -> None:
    byte_range = ByteRange(100, 199)
    assert byte_range.length == 100
    assert byte_range.content_range(1000) == "bytes 100-199/1000"
