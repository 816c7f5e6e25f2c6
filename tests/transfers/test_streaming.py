"""The resumable download on its own: real HTTP against the emulator's CDN and a server ignoring Range."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from airflow_provider_veo.exceptions import AssetIntegrityError, AssetTransferError
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.log_redaction import redact_query as redact
from airflow_provider_veo.testing import Fault, ScenarioEmulator
from airflow_provider_veo.transfers.streaming import DownloadPolicy, download
from tests.transfers._helpers import sha256

CDN = "GET /cdn/assets/{assetId}"
FAST = DownloadPolicy(chunk_size=64 * 1024, max_attempts=4, backoff=0.01)


class MemorySink:
    """Collects the bytes; counts restarts."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.restarts = 0

    def write(self, data: bytes, /) -> int:
        self.data += data
        return len(data)

    def restart(self) -> None:
        self.data.clear()
        self.restarts += 1


def test_expired_signed_url_is_replaced_and_the_rest_is_fetched_with_range(
    emu: ScenarioEmulator, reference_bytes: Callable[[str], bytes]
) -> None:
    asset_id = emu.create_video_asset(size=1 << 20)
    hook = ScenarioHook()
    first_url = hook.get_download_url(asset_id)
    handed_out: list[str] = []

    def fresh_url() -> str:
        # 1st: a good URL whose stream breaks; 2nd: that same URL, now really expired (CDN 403);
        # 3rd: a freshly signed one.
        if len(handed_out) == 1:
            emu.expire_urls()
        handed_out.append(first_url if len(handed_out) < 2 else hook.get_download_url(asset_id))
        return handed_out[-1]

    emu.inject(Fault.truncate(after_bytes=300_000), route=CDN, times=1)
    sink = MemorySink()

    result = download(
        session=requests.Session(),
        fresh_url=fresh_url,
        sink=sink,
        expected_size=1 << 20,
        label=asset_id,
        policy=FAST,
    )

    assert (result.attempts, result.resumes, result.restarts) == (3, 1, 0)
    assert emu.count(CDN) == 3
    expected = reference_bytes(asset_id)
    assert bytes(sink.data) == expected
    assert (result.size, result.sha256) == (len(expected), sha256(expected))


class _RangeIgnoringHandler(BaseHTTPRequestHandler):
    """Serves BODY with 200 whatever the Range header; the first response is cut short."""

    BODY = bytes(range(256)) * 4096  # 1 MiB
    served = 0

    def do_GET(self) -> None:
        cls = type(self)
        cls.served += 1
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        self.wfile.write(self.BODY[:100_000] if cls.served == 1 else self.BODY)
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def range_ignoring_server() -> Iterator[str]:
    _RangeIgnoringHandler.served = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RangeIgnoringHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/video.mp4?Policy=p&Signature=s"
    server.shutdown()
    server.server_close()


def test_server_ignoring_range_restarts_the_sink_from_zero(range_ignoring_server: str) -> None:
    sink = MemorySink()
    body = _RangeIgnoringHandler.BODY

    result = download(
        session=requests.Session(),
        fresh_url=lambda: range_ignoring_server,
        sink=sink,
        expected_size=len(body),
        label="asset_x",
        policy=FAST,
    )

    assert (sink.restarts, result.restarts, result.resumes) == (1, 1, 0)
    assert bytes(sink.data) == body
    assert result.sha256 == sha256(body)


def test_size_announced_by_the_api_is_enforced_before_writing(emu: ScenarioEmulator) -> None:
    asset_id = emu.create_video_asset(size=100_000)
    sink = MemorySink()
    with pytest.raises(AssetIntegrityError, match="announced 99999 bytes but the CDN serves 100000"):
        download(
            session=requests.Session(),
            fresh_url=lambda: ScenarioHook().get_download_url(asset_id),
            sink=sink,
            expected_size=99_999,
            label=asset_id,
            policy=FAST,
        )
    assert sink.data == b""


def test_errors_and_logs_never_show_the_signature(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/cdn/assets/a?Policy=POLICY&Signature=SECRETSIG&Key-Pair-Id=KEY"

    with (
        caplog.at_level(logging.INFO, logger="airflow_provider_veo"),
        pytest.raises(AssetTransferError, match="failed after 2 attempt") as error,
    ):
        download(
            session=requests.Session(),
            fresh_url=lambda: url,
            sink=MemorySink(),
            expected_size=None,
            label="asset_a",
            policy=DownloadPolicy(max_attempts=2, backoff=0.01),
        )

    assert "ConnectionError" in str(error.value)
    for text in (str(error.value), caplog.text):
        assert "SECRETSIG" not in text
        assert "POLICY" not in text
    assert error.value.__cause__ is None
    assert error.value.__context__ is None  # no chained exception carries the URL


def test_redact_removes_every_query() -> None:
    text = "Max retries exceeded with url: /cdn/assets/a?Policy=x&Signature=y (Caused by ...)"
    assert redact(text) == "Max retries exceeded with url: /cdn/assets/a?<redacted> (Caused by ...)"


def test_cancellation_stops_the_download(emu: ScenarioEmulator) -> None:
    asset_id = emu.create_video_asset(size=1 << 20)
    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(AssetTransferError, match="cancelled"):
        download(
            session=requests.Session(),
            fresh_url=lambda: ScenarioHook().get_download_url(asset_id),
            sink=MemorySink(),
            expected_size=1 << 20,
            label=asset_id,
            policy=FAST,
            cancelled=cancelled,
        )


def test_refusal_that_no_new_url_can_fix_is_not_retried(emu: ScenarioEmulator) -> None:
    asset_id = emu.create_video_asset(size=100_000)
    emu.inject(Fault.status(404), route=CDN, times=1)
    with pytest.raises(AssetTransferError, match="the CDN answered HTTP 404"):
        download(
            session=requests.Session(),
            fresh_url=lambda: ScenarioHook().get_download_url(asset_id),
            sink=MemorySink(),
            expected_size=100_000,
            label=asset_id,
            policy=FAST,
        )
    assert emu.count(CDN) == 1


class _HtmlPageHandler(BaseHTTPRequestHandler):
    """A CDN (or captive proxy) answering 200 with an HTML page exactly as long as the video."""

    SIZE = 100_000
    served = 0

    def do_GET(self) -> None:
        type(self).served += 1
        page = b"<!doctype html><title>Access denied</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(self.SIZE))
        self.end_headers()
        self.wfile.write(page + b" " * (self.SIZE - len(page)))

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def html_page_server() -> Iterator[str]:
    _HtmlPageHandler.served = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlPageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/video.mp4?Policy=p&Signature=s"
    server.shutdown()
    server.server_close()


def test_an_html_answer_of_the_right_size_is_never_written(html_page_server: str) -> None:
    sink = MemorySink()

    with pytest.raises(AssetTransferError, match="Content-Type 'text/html; charset=utf-8', not a video"):
        download(
            session=requests.Session(),
            fresh_url=lambda: html_page_server,
            sink=sink,
            expected_size=_HtmlPageHandler.SIZE,
            label="asset_x",
            policy=DownloadPolicy(max_attempts=2, backoff=0.01),
        )

    assert sink.data == b""
    assert sink.restarts == 0
    assert _HtmlPageHandler.served == 2  # each attempt (with a fresh URL) refused it


class _NoLengthHandler(BaseHTTPRequestHandler):
    """HTTP/1.0 without ``Content-Length``: the body (300 000 bytes of BODY) ends when the socket closes."""

    BODY = bytes(range(256)) * 4096  # 1 MiB
    SERVED = 300_000

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.end_headers()
        self.wfile.write(self.BODY[: self.SERVED])

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def no_length_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoLengthHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/video.mp4?Policy=p&Signature=s"
    server.shutdown()
    server.server_close()


def test_size_unknown_to_cdn_and_api_is_accepted_with_a_warning(
    no_length_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    sink = MemorySink()

    with caplog.at_level(logging.INFO, logger="airflow_provider_veo"):
        result = download(
            session=requests.Session(),
            fresh_url=lambda: no_length_server,
            sink=sink,
            expected_size=None,
            label="asset_x",
            policy=FAST,
        )

    served = _NoLengthHandler.BODY[: _NoLengthHandler.SERVED]
    assert (result.size, result.attempts, bytes(sink.data)) == (len(served), 1, served)
    (warning,) = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert warning.getMessage() == (
        "Asset asset_x: neither the CDN (Content-Length, Content-Range) nor the API (properties.size) "
        "announced the size; the 300000 bytes received cannot be verified as complete."
    )


def test_size_from_the_api_catches_a_short_body_without_content_length(
    no_length_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="airflow_provider_veo"),
        pytest.raises(AssetTransferError, match="the body ended at 300000 of 1048576 bytes"),
    ):
        download(
            session=requests.Session(),
            fresh_url=lambda: no_length_server,
            sink=MemorySink(),
            expected_size=len(_NoLengthHandler.BODY),
            label="asset_x",
            policy=DownloadPolicy(max_attempts=2, backoff=0.01),
        )
    assert "cannot be verified" not in caplog.text
