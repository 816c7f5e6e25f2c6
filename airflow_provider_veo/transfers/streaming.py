"""Resumable streaming download of a signed URL into a writer, in bounded memory.

The body is read in ``chunk_size`` pieces and handed to a :class:`ByteSink` as it arrives, hashing
on the way, so memory does not grow with the file. When the signed URL has expired (403) or the
stream breaks, a fresh URL is requested and the download resumes at the first missing byte with an
HTTP ``Range`` request into the same open writer; if the server ignores the range the sink is
restarted from byte 0. Attempts are bounded. Signed URLs are never logged or put in error messages:
only the host is shown.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol
from urllib.parse import urljoin, urlsplit

import requests

from airflow_provider_veo.exceptions import AssetIntegrityError, AssetTransferError
from airflow_provider_veo.log_redaction import redact_query
from airflow_provider_veo.transfers.url_policy import MAX_REDIRECTS, check_url, is_video_content_type

log = logging.getLogger(__name__)

#: Statuses a CDN answers for an expired, tampered or not-yet-valid signed URL.
EXPIRED_URL_STATUSES: Final = frozenset({401, 403, 410})
#: Statuses worth another attempt after a short pause.
TRANSIENT_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
_CONTENT_RANGE: Final = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class ByteSink(Protocol):
    """Where downloaded bytes go: a writer that can also be emptied to start over."""

    def write(self, data: bytes, /) -> object: ...

    def restart(self) -> None:
        """Forget every byte written so far; the next write is byte 0 again."""


@dataclass(frozen=True)
class DownloadPolicy:
    """How a download is read and retried.

    :param chunk_size: bytes read from the socket and written at a time (bounds memory).
    :param max_attempts: HTTP requests allowed in total (first one included), each with a fresh URL.
    :param connect_timeout: seconds to open the connection.
    :param read_timeout: seconds without receiving a byte before the attempt is abandoned.
    :param backoff: pause in seconds before the 2nd attempt after a transient error, doubled after
        each further one (capped at 10 s). Expired URLs are retried at once.
    """

    chunk_size: int = 8 * 1024 * 1024
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    backoff: float = 0.5


@dataclass(frozen=True)
class DownloadResult:
    """What was downloaded: total bytes, their sha256, and how much retrying it took."""

    size: int
    sha256: str
    attempts: int
    resumes: int
    restarts: int


class _Retry(Exception):
    """One attempt failed in a way another attempt with a fresh URL may fix."""

    def __init__(self, reason: str, *, pause: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.pause = pause


def host_of(url: str) -> str:
    """The host of a URL, the only part of a signed URL that may be logged."""
    return urlsplit(url).hostname or "?"


def download(
    *,
    session: requests.Session,
    fresh_url: Callable[[], str],
    sink: ByteSink,
    expected_size: int | None,
    label: str,
    policy: DownloadPolicy | None = None,
    cancelled: threading.Event | None = None,
) -> DownloadResult:
    """Stream the file behind ``fresh_url()`` into ``sink``; return its size and sha256.

    ``fresh_url`` is called right before the first request and again before every retry, so an
    expired signed URL is replaced rather than retried. ``expected_size`` (the API's announced size)
    is checked against ``Content-Length`` before reading and against the bytes received at the end.
    When neither is known, a clean end of the body is accepted with a warning: its completeness
    cannot be verified. Errors raised by ``sink.write`` (the storage side) are not retried here:
    they propagate.

    :raises AssetIntegrityError: the sizes disagree, or more bytes arrived than announced.
    :raises AssetTransferError: the attempts ran out, the CDN refused the file, or ``cancelled`` was set.
    """
    policy = policy or DownloadPolicy()
    state = _Progress(expected_size=expected_size)
    last_error = "no attempt was made"
    for attempt in range(1, policy.max_attempts + 1):
        url = fresh_url()
        try:
            _attempt(session, url, sink, state, policy, label, cancelled)
        except _Retry as retry:
            last_error = redact_query(retry.reason)
            if attempt < policy.max_attempts:
                log.warning(
                    "Asset %s: download from %s stopped at byte %d (%s); attempt %d/%d with a fresh URL.",
                    label,
                    host_of(url),
                    state.written,
                    last_error,
                    attempt + 1,
                    policy.max_attempts,
                )
                if retry.pause:
                    _pause(policy, attempt, cancelled)
            continue
        log.info(
            "Asset %s: downloaded %d bytes from %s in %d attempt(s).",
            label,
            state.written,
            host_of(url),
            attempt,
        )
        return DownloadResult(
            size=state.written,
            sha256=state.hasher.hexdigest(),
            attempts=attempt,
            resumes=state.resumes,
            restarts=state.restarts,
        )
    raise AssetTransferError(
        f"Asset {label}: download failed after {policy.max_attempts} attempt(s); last error: {last_error}"
    )


@dataclass
class _Progress:
    expected_size: int | None
    written: int = 0
    resumes: int = 0
    restarts: int = 0

    def __post_init__(self) -> None:
        self.hasher = hashlib.sha256()

    def restart(self, sink: ByteSink) -> None:
        sink.restart()
        self.written = 0
        self.restarts += 1
        self.hasher = hashlib.sha256()


def _attempt(
    session: requests.Session,
    url: str,
    sink: ByteSink,
    state: _Progress,
    policy: DownloadPolicy,
    label: str,
    cancelled: threading.Event | None,
) -> None:
    # identity: the bytes (and Range offsets) are those of the stored file, never a compressed form.
    headers = {"Accept-Encoding": "identity"}
    if state.written:
        headers["Range"] = f"bytes={state.written}-"
    try:
        with _get_following_safe_redirects(session, url, headers, policy) as response:
            total = _check_response(response, state, sink, label)
            for chunk in response.iter_content(chunk_size=policy.chunk_size):
                if cancelled is not None and cancelled.is_set():
                    raise AssetTransferError(f"Asset {label}: transfer cancelled.")
                sink.write(chunk)
                state.hasher.update(chunk)
                state.written += len(chunk)
    except requests.RequestException as error:
        raise _Retry(f"{type(error).__name__}: {error}", pause=True) from None
    if total is None:
        # The API types properties.size as required, so this only happens if it omits it anyway.
        log.warning(
            "Asset %s: neither the CDN (Content-Length, Content-Range) nor the API (properties.size) "
            "announced the size; the %d bytes received cannot be verified as complete.",
            label,
            state.written,
        )
    elif state.written < total:
        raise _Retry(f"the body ended at {state.written} of {total} bytes", pause=True)
    elif state.written > total:
        raise AssetIntegrityError(f"Asset {label}: received {state.written} bytes, {total} were announced.")


def _get_following_safe_redirects(
    session: requests.Session, url: str, headers: dict[str, str], policy: DownloadPolicy
) -> requests.Response:
    """GET ``url``, following at most :data:`MAX_REDIRECTS` redirects, each checked by ``check_url``."""
    check_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        response = session.get(
            url,
            headers=headers,
            stream=True,
            timeout=(policy.connect_timeout, policy.read_timeout),
            allow_redirects=False,
        )
        if not response.is_redirect:
            return response
        location = response.headers.get("Location", "")
        response.close()
        target = urljoin(url, location)
        check_url(target, came_from=url)
        url = target
    raise AssetTransferError(f"More than {MAX_REDIRECTS} redirects from {host_of(url)}; not followed.")


def _check_response(response: requests.Response, state: _Progress, sink: ByteSink, label: str) -> int | None:
    """Check status and headers, restart the sink if the range was ignored; return the total size."""
    status = response.status_code
    if status in EXPIRED_URL_STATUSES:
        raise _Retry(f"HTTP {status}: the signed URL is expired or invalid", pause=False)
    if status in TRANSIENT_STATUSES:
        raise _Retry(f"HTTP {status}", pause=True)
    if status == 416:
        state.restart(sink)
        raise _Retry("HTTP 416: the range was refused; restarting from byte 0", pause=False)
    if status not in (200, 206):
        raise AssetTransferError(f"Asset {label}: the CDN answered HTTP {status}.")
    content_type = response.headers.get("Content-Type")
    if not is_video_content_type(content_type):
        raise _Retry(
            f"the CDN answered Content-Type {content_type!r}, not a video; nothing written", pause=True
        )

    if status == 206:
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", ""))
        if match is None or int(match[1]) != state.written:
            state.restart(sink)
            raise _Retry("the partial response does not start where the download stopped", pause=False)
        total = None if match[3] == "*" else int(match[3])
        state.resumes += 1 if state.written else 0
    else:
        if state.written:
            log.info("Asset %s: the server ignored the Range request; restarting from byte 0.", label)
            state.restart(sink)
        length = response.headers.get("Content-Length")
        total = int(length) if length is not None and length.isdigit() else None

    if total is not None and state.expected_size is not None and total != state.expected_size:
        raise AssetIntegrityError(
            f"Asset {label}: the API announced {state.expected_size} bytes but the CDN serves {total}."
        )
    return total if total is not None else state.expected_size


def _pause(policy: DownloadPolicy, attempt: int, cancelled: threading.Event | None) -> None:
    delay = min(policy.backoff * 2 ** (attempt - 1), 10.0)
    if cancelled is not None:
        cancelled.wait(delay)
    else:
        time.sleep(delay)
