"""Which URLs a video may be downloaded from, and which answers may be written (no I/O but DNS).

A signed CDN URL comes from the API, and a CDN may redirect; neither is trusted blindly:

* only ``https://`` is fetched, and ``http://`` to a loopback host (the emulator);
* a redirect is followed only to ``https://`` (or from a loopback URL to a loopback URL), at most
  :data:`MAX_REDIRECTS` times, never to a link-local or cloud-metadata address (``169.254.169.254``,
  ``fd00:ec2::254``, ``metadata.google.internal``: what a hostile redirect would use to read the
  worker's cloud credentials), also when a host name resolves to one;
* an answer is written only when its ``Content-Type`` is a video or ``application/octet-stream``: an
  HTML error page of the right size is not a video.

>>> check_url("https://cdn.example.com/assets/a.mp4?Signature=x")
>>> is_video_content_type("video/mp4; codecs=avc1")
True
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Final
from urllib.parse import urlsplit

from airflow_provider_veo.exceptions import AssetTransferError
from airflow_provider_veo.hooks.connection_settings import is_loopback

MAX_REDIRECTS: Final = 5
METADATA_HOSTS: Final = frozenset({"metadata.google.internal", "metadata", "instance-data"})
VIDEO_CONTENT_TYPES: Final = frozenset({"application/octet-stream", "binary/octet-stream"})


class UnsafeUrlError(AssetTransferError):
    """A download URL (or a redirect target) is refused: wrong scheme, or an internal address."""


def _forbidden_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:  # type: ignore[union-attr]
        ip = ip.ipv4_mapped  # type: ignore[union-attr]
    return ip.is_link_local or ip.is_unspecified or ip == ipaddress.ip_address("fd00:ec2::254")


def check_url(url: str, *, came_from: str | None = None, resolve: bool = True) -> None:
    """Raise :class:`UnsafeUrlError` unless ``url`` may be fetched (``came_from``: the redirecting URL)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    where = f"{scheme}://{host}" if host else repr(url[:40])
    if not host:
        raise UnsafeUrlError(f"Refusing to download from {where}: the URL has no host.")
    if scheme == "http":
        allowed = is_loopback(host) and (came_from is None or is_loopback(urlsplit(came_from).hostname))
        if not allowed:
            raise UnsafeUrlError(
                f"Refusing to download from {where}: plain http is only allowed to a loopback host "
                "(the emulator); signed URLs and videos must travel over https."
            )
    elif scheme != "https":
        raise UnsafeUrlError(f"Refusing to download from {where}: only https URLs are fetched.")
    if host in METADATA_HOSTS or _forbidden_address(host.strip("[]")):
        raise UnsafeUrlError(f"Refusing to download from {where}: a link-local or cloud-metadata address.")
    if resolve and not is_loopback(host):
        try:
            infos = socket.getaddrinfo(host, None)
        except (OSError, UnicodeError):
            return  # unresolvable: the request itself fails and is retried
        if any(_forbidden_address(str(info[4][0])) for info in infos):
            raise UnsafeUrlError(f"Refusing to download from {where}: it resolves to a link-local address.")


def is_video_content_type(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` announces video bytes (``video/*`` or octet-stream)."""
    if not content_type:
        return False
    kind = content_type.split(";")[0].strip().lower()
    return kind.startswith("video/") or kind in VIDEO_CONTENT_TYPES
