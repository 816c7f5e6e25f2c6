"""The gallery's FastAPI app, mounted by the plugin on the api-server under ``/scenario-veo``.

Routes (every one needs an Airflow session; a browser without one is sent to the login page):

* ``GET /scenario-veo/?dag_id=&run_id=&date_from=&date_to=&limit=&offset=`` — the HTML gallery.
* ``GET /scenario-veo/api/videos?...`` — the same entries as JSON.
* ``GET /scenario-veo/video?uri=<recorded asset URI>`` — the video's bytes, with HTTP ``Range``.
"""

from __future__ import annotations

import mimetypes
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from airflow_provider_veo.plugins.gallery import access, catalog, settings, storage
from airflow_provider_veo.plugins.gallery.byte_ranges import RangeNotSatisfiableError, parse_range
from airflow_provider_veo.plugins.gallery.entries import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    GalleryFilter,
    RecordedVideo,
    VideoEntry,
    pick_job_url,
    stream_url,
    task_instance_url,
)
from airflow_provider_veo.plugins.gallery.page import render_page

SIDECAR_READERS: Final = 8
OUTSIDE_PREFIXES: Final = "The gallery may not read this store ([scenario_veo] gallery_uri_prefixes)."


def create_gallery_app() -> FastAPI:
    """The gallery app; Airflow's plugin manager mounts it (see ``plugins/scenario_veo.py``)."""
    app = FastAPI(title="Scenario Veo gallery", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    def gallery_page(request: Request, user: access.MaybeUser, flt: Filter) -> Response:
        if user is None:
            return RedirectResponse(access.login_url(next_url=str(request.url)), status_code=303)
        entries, has_more = _entries(user, flt)
        return HTMLResponse(render_page(entries, flt, has_more=has_more))

    @app.get("/api/videos")
    def gallery_json(user: access.User, flt: Filter) -> dict[str, Any]:
        entries, has_more = _entries(user, flt)
        return {"videos": [entry.to_json() for entry in entries], "has_more": has_more}

    @app.get("/video")
    def video_bytes(request: Request, user: access.User, uri: str) -> Response:
        video = catalog.recorded_video(
            uri, readable_dag_ids=access.readable_dag_ids(user), aliases=settings.asset_aliases()
        )
        if video is None:  # not recorded, or in a DAG the user may not read: the same answer
            raise HTTPException(404, "No such video.")
        if not settings.uri_allowed(video.uri):
            return Response(OUTSIDE_PREFIXES, status_code=403, media_type="text/plain")
        try:
            opened = storage.open_video(video.uri, _conn_id(video))
            byte_range = parse_range(request.headers.get("range"), size=opened.size)
        except storage.StorageUnreadableError as error:
            return Response(str(error), status_code=502, media_type="text/plain")
        except RangeNotSatisfiableError as error:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{error.size}"})
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Length": str(byte_range.length if byte_range else opened.size),
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        }
        if video.extra.get("sha256"):
            headers["ETag"] = f'"{video.extra["sha256"]}"'
        if byte_range is not None:
            headers["Content-Range"] = byte_range.content_range(opened.size)
        return StreamingResponse(
            storage.iter_bytes(opened, byte_range),
            status_code=206 if byte_range else 200,
            media_type=mimetypes.guess_type(video.uri)[0] or "application/octet-stream",
            headers=headers,
        )

    return app


def _filter(
    dag_id: str | None = None,
    run_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GalleryFilter:
    return GalleryFilter(
        dag_id=dag_id or None,
        run_id=run_id or None,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )


Filter = Annotated[GalleryFilter, Depends(_filter)]


def _entries(user: Any, flt: GalleryFilter) -> tuple[list[VideoEntry], bool]:
    # One more than the page tells whether an older page exists.
    probe = replace(flt, limit=flt.limit + 1)
    videos = catalog.recorded_videos(
        probe, readable_dag_ids=access.readable_dag_ids(user), aliases=settings.asset_aliases()
    )
    has_more = len(videos) > flt.limit
    videos = videos[: flt.limit]
    job_links: dict[tuple[str, str | None], list[str]] = {}
    for video in videos:
        key = (video.dag_id, video.run_id)
        if key not in job_links:
            job_links[key] = catalog.job_urls(*key)
    with ThreadPoolExecutor(SIDECAR_READERS, thread_name_prefix="scenario-gallery") as pool:
        sidecars = list(pool.map(_sidecar, videos))
    base_path = settings.base_path()
    entries = [
        VideoEntry(
            video=video,
            sidecar=sidecar,
            sidecar_problem=problem,
            job_url=pick_job_url(video.job_id, job_links[(video.dag_id, video.run_id)]),
            task_instance_url=task_instance_url(base_path, video),
            stream_url=stream_url(video),
        )
        for video, (sidecar, problem) in zip(videos, sidecars, strict=True)
    ]
    return entries, has_more


def _sidecar(video: RecordedVideo) -> tuple[dict[str, Any] | None, str | None]:
    if not settings.uri_allowed(video.uri):
        return None, OUTSIDE_PREFIXES
    try:
        return storage.read_sidecar(video.uri, _conn_id(video)), None
    except storage.StorageUnreadableError as error:
        return None, str(error)


def _conn_id(video: RecordedVideo) -> str | None:
    return storage.storage_conn_id(
        video.uri, configured=settings.storage_conn_ids(), rendered=catalog.rendered_fields(video)
    )
