"""Paths and response shapes of the Scenario API endpoints, shared by the sync and async hooks."""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from airflow_provider_veo.exceptions import ScenarioProtocolError

CANCEL_ACTION = {"action": "cancel"}
COMPLETE_ACTION = {"action": "complete"}


def api_path(template: str, *ids: str) -> str:
    """Fill a path template with ids, each percent-encoded so it stays one path segment."""
    return template.format(*(quote(str(i), safe="") for i in ids))


JOB = "/jobs/{}"
JOB_ACTION = "/jobs/{}/action"
JOBS = "/jobs"
RUN_MODEL = "/generate/custom/{}"
ASSETS = "/assets"
ASSET = "/assets/{}"
ASSET_DOWNLOAD = "/assets/{}/download"
UPLOADS = "/uploads"
UPLOAD = "/uploads/{}"
UPLOAD_ACTION = "/uploads/{}/action"
MODEL = "/models/{}"


DRY_RUN_STATUS: Final = 269
"""The status of a dry run's answer: an estimate, no job."""

DEFAULT_MAX_PAGES: Final = 100
"""Most pages a listing reads (100 x 100 jobs) before it is judged endless."""


class Pagination:
    """Follow ``nextPaginationToken`` safely: the token must advance and the pages are capped.

    >>> pages = Pagination(method="GET", path="/jobs", max_pages=3)
    >>> pages.next_token("t1"), pages.next_token(None)
    ('t1', None)
    """

    def __init__(self, *, method: str, path: str, max_pages: int = DEFAULT_MAX_PAGES) -> None:
        if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
            raise ValueError(f"max_pages must be a positive integer, got {max_pages!r}")
        self.method = method
        self.path = path
        self.max_pages = max_pages
        self.pages = 1
        self._seen: set[str] = set()

    def next_token(self, token: str | None) -> str | None:
        """The token of the next page to read, ``None`` when the listing is over."""
        if not token:
            return None
        if token in self._seen:
            raise ScenarioProtocolError(
                method=self.method,
                path=self.path,
                field="nextPaginationToken",
                value=repr(token[:80]),
                problem="the pagination token did not advance (the listing would never end)",
            )
        if self.pages >= self.max_pages:
            raise ScenarioProtocolError(
                method=self.method,
                path=self.path,
                field="nextPaginationToken",
                value=repr(token[:80]),
                problem=f"still more pages after {self.max_pages}; refusing to read an endless listing",
            )
        self._seen.add(token)
        self.pages += 1
        return token
