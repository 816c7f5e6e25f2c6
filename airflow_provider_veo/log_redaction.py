"""Keep signed URLs' query strings (policy, signature) out of the HTTP libraries' own logs.

urllib3 logs every request line at DEBUG (``"GET /assets/a?Policy=...&Signature=... HTTP/1.1"``);
:func:`install` adds a filter to the HTTP clients' loggers that replaces every query string in the
record with ``?<redacted>`` before any handler sees it. Installed when the hooks are imported. The
API's own query strings (``projectId``, ``dryRun``, list filters) hold no secret and go too: a
DEBUG log of this provider's HTTP traffic shows paths only.
"""

from __future__ import annotations

import logging
import re
from typing import Final

HTTP_LOGGERS: Final = ("urllib3.connectionpool", "aiohttp.client", "requests.packages.urllib3.connectionpool")
_QUERY: Final = re.compile(r"\?[^\s'\"()]+")


def redact_query(text: str) -> str:
    """``text`` with every URL query string replaced.

    >>> redact_query('"GET /assets/a?Signature=abc HTTP/1.1" 200')
    '"GET /assets/a?<redacted> HTTP/1.1" 200'
    """
    return _QUERY.sub("?<redacted>", text)


class QueryRedactingFilter(logging.Filter):
    """Rewrites a record's message so no URL query string remains (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args or "?" in str(record.msg):
            record.msg = redact_query(record.getMessage())
            record.args = None
        return True


_FILTER: Final = QueryRedactingFilter()


def install() -> None:
    """Add the filter to the HTTP clients' loggers (idempotent)."""
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
