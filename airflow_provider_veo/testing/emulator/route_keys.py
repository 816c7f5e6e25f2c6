"""Route keys: ``"<METHOD> <path template>"``, paths relative to ``/v1`` for the API.

Faults and counters are addressed by these keys; an unknown key is a typo, so it is refused.
"""

from __future__ import annotations

from typing import Final

GENERATE: Final = "POST /generate/custom/{modelId}"
GET_JOB: Final = "GET /jobs/{jobId}"
LIST_JOBS: Final = "GET /jobs"
JOB_ACTION: Final = "POST /jobs/{jobId}/action"
UPLOAD_ASSET: Final = "POST /assets"
GET_ASSET: Final = "GET /assets/{assetId}"
DOWNLOAD_ASSET: Final = "POST /assets/{assetId}/download"
CREATE_UPLOAD: Final = "POST /uploads"
GET_UPLOAD: Final = "GET /uploads/{uploadId}"
UPLOAD_ACTION: Final = "POST /uploads/{uploadId}/action"
PUT_UPLOAD_PART: Final = "PUT /upload-parts/{uploadId}/{partNumber}"
GET_MODEL: Final = "GET /models/{modelId}"
CDN_GET: Final = "GET /cdn/assets/{assetId}"
CDN_HEAD: Final = "HEAD /cdn/assets/{assetId}"

API_ROUTES: Final = (
    GENERATE,
    GET_JOB,
    LIST_JOBS,
    JOB_ACTION,
    UPLOAD_ASSET,
    GET_ASSET,
    DOWNLOAD_ASSET,
    CREATE_UPLOAD,
    GET_UPLOAD,
    UPLOAD_ACTION,
    PUT_UPLOAD_PART,
    GET_MODEL,
)
ALL_ROUTES: Final = frozenset((*API_ROUTES, CDN_GET, CDN_HEAD))
#: Matches every route in a fault rule.
ANY_ROUTE: Final = "*"


def check_route(route: str, *, wildcard: bool = False) -> str:
    """``route`` if it is a known route key (or ``"*"`` when ``wildcard``); ``ValueError`` otherwise."""
    if route in ALL_ROUTES or (wildcard and route == ANY_ROUTE):
        return route
    raise ValueError(f"Unknown route {route!r}; known routes: {', '.join(sorted(ALL_ROUTES))}")
