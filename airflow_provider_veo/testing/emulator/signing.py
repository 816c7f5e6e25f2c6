"""CloudFront-style signed URLs for the emulator's CDN and presigned upload-part URLs.

A CDN URL carries ``Policy`` (base64 JSON with ``DateLessThan``), ``Signature`` (HMAC of the policy)
and ``Key-Pair-Id``. :meth:`UrlSigner.expire_all` rotates the key pair, so every URL issued before
is refused (403) from then on, as if it had expired.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import math
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode, urlsplit

MIN_URL_LIFETIME = timedelta(hours=24)
_KEY_PAIR_PREFIX = "APKAEMULATOR"
# CloudFront's URL-safe base64 alphabet.
_B64_TRANSLATE = bytes.maketrans(b"+=/", b"-_~")
_B64_UNTRANSLATE = bytes.maketrans(b"-_~", b"+=/")


def rolling_expiry(issued: datetime) -> datetime:
    """When a URL issued at ``issued`` (UTC) expires under Scenario's rolling windows.

    Issued on the 1st-7th -> the 14th; 8th-14th -> the 21st; 15th-21st -> the last day of the month;
    22nd-31st -> the 7th of next month; always at 23:59:59 UTC and never less than 24 h away.
    """
    day = issued.day
    if day <= 7:
        end = issued.replace(day=14)
    elif day <= 14:
        end = issued.replace(day=21)
    elif day <= 21:
        end = issued.replace(day=calendar.monthrange(issued.year, issued.month)[1])
    else:
        first_next = (issued.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = first_next.replace(day=7)
    end = end.replace(hour=23, minute=59, second=59, microsecond=0)
    return max(end, issued + MIN_URL_LIFETIME)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).translate(_B64_TRANSLATE).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii").translate(_B64_UNTRANSLATE), validate=True)


class UrlSigner:
    """Issues and checks signed URLs; thread-safe."""

    def __init__(self, *, secret: str, ttl: float | None) -> None:
        self._secret = secret.encode()
        self._ttl = ttl
        self._generation = 0
        self._lock = threading.Lock()

    def _key(self, key_pair_id: str) -> bytes:
        return hashlib.sha256(self._secret + b"|" + key_pair_id.encode()).digest()

    def _key_pair_id(self) -> str:
        return f"{_KEY_PAIR_PREFIX}{self._generation:06d}"

    def expire_all(self) -> None:
        with self._lock:
            self._generation += 1

    def expires_at(self, now: float) -> int:
        if self._ttl is not None:
            return math.ceil(now + self._ttl)
        issued = datetime.fromtimestamp(now, tz=timezone.utc)
        return int(rolling_expiry(issued).timestamp())

    def sign_cdn(self, resource: str, *, now: float) -> str:
        """``resource`` (absolute URL without query) with Policy, Signature and Key-Pair-Id."""
        policy = json.dumps(
            {
                "Statement": [
                    {
                        "Resource": resource,
                        "Condition": {"DateLessThan": {"AWS:EpochTime": self.expires_at(now)}},
                    }
                ]
            },
            separators=(",", ":"),
        )
        policy_b64 = _b64(policy.encode())
        with self._lock:
            key_pair_id = self._key_pair_id()
        signature = _b64(hmac.new(self._key(key_pair_id), policy_b64.encode(), hashlib.sha256).digest())
        query = urlencode({"Policy": policy_b64, "Signature": signature, "Key-Pair-Id": key_pair_id})
        return f"{resource}?{query}"

    def check_cdn(self, path: str, query: Mapping[str, str], *, now: float) -> str | None:
        """``None`` when the URL is valid for ``path``; otherwise why it is refused."""
        policy_b64 = query.get("Policy")
        signature = query.get("Signature")
        key_pair_id = query.get("Key-Pair-Id")
        if not policy_b64 or not signature or not key_pair_id:
            return "missing Policy, Signature or Key-Pair-Id"
        expected = _b64(hmac.new(self._key(key_pair_id), policy_b64.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature) or not key_pair_id.startswith(_KEY_PAIR_PREFIX):
            return "bad signature"
        with self._lock:
            current = self._key_pair_id()
        if key_pair_id != current:
            return "expired (key pair rotated)"
        try:
            statement = json.loads(_unb64(policy_b64))["Statement"][0]
            resource = str(statement["Resource"])
            deadline = float(statement["Condition"]["DateLessThan"]["AWS:EpochTime"])
        except (ValueError, KeyError, IndexError, TypeError):
            return "malformed policy"
        if urlsplit(resource).path != path:
            return "policy does not cover this resource"
        if now >= deadline:
            return "expired"
        return None

    def sign_upload_part(self, path: str, *, expires: int) -> str:
        signature = hmac.new(self._secret, f"PUT|{path}|{expires}".encode(), hashlib.sha256).hexdigest()
        return f"{path}?{urlencode({'Expires': expires, 'Signature': signature})}"

    def check_upload_part(self, path: str, query: Mapping[str, str], *, now: float) -> str | None:
        expires = query.get("Expires", "")
        signature = query.get("Signature", "")
        expected = hmac.new(self._secret, f"PUT|{path}|{expires}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "bad signature"
        if now >= float(expires):
            return "expired"
        return None
