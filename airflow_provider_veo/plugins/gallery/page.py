"""The gallery's HTML: one self-contained page (no JavaScript needed), every value escaped."""

from __future__ import annotations

import json
from html import escape
from typing import Any, Final

from airflow_provider_veo.plugins.gallery.entries import GalleryFilter, VideoEntry

_STYLE: Final = """
body{font-family:system-ui,sans-serif;margin:1rem 1.5rem;color:#1b1f24;background:#fafbfc}
h1{font-size:1.3rem;margin:0 0 .8rem}
form{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin-bottom:1rem}
label{display:flex;flex-direction:column;font-size:.8rem;color:#57606a}
input{padding:.3rem;border:1px solid #d0d7de;border-radius:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:1rem}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:.8rem}
video{width:100%;border-radius:4px;background:#000}
.prompt{font-weight:600;margin:.5rem 0 .2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .7rem;font-size:.82rem;margin:.5rem 0}
dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}
.problem{background:#fff8c5;border:1px solid #d4a72c;border-radius:4px;padding:.4rem;font-size:.85rem}
.links a{margin-right:1rem}.empty{color:#57606a}.pager a{margin-right:1rem}
"""
_EMPTY: Final = '<p class="empty">No videos you may see match these filters.</p>'


def render_page(entries: list[VideoEntry], flt: GalleryFilter, *, has_more: bool) -> str:
    cards = "\n".join(_card(entry) for entry in entries)
    body = f'<div class="grid">{cards}</div>' if entries else _EMPTY
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Veo videos</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Veo videos</h1>"
        f"{_filter_form(flt)}{body}{_pager(flt, has_more=has_more)}"
        "</body></html>"
    )


def _filter_form(flt: GalleryFilter) -> str:
    def field(name: str, label: str, value: Any, kind: str = "text") -> str:
        shown = "" if value is None else escape(str(value))
        return f'<label>{label}<input type="{kind}" name="{name}" value="{shown}"></label>'

    return (
        '<form method="get" action="">'
        + field("dag_id", "DAG", flt.dag_id)
        + field("run_id", "Run", flt.run_id)
        + field("date_from", "From (UTC)", flt.date_from, "date")
        + field("date_to", "To (UTC)", flt.date_to, "date")
        + '<button type="submit">Filter</button> <a href="?">Clear</a></form>'
    )


def _card(entry: VideoEntry) -> str:
    video = entry.video
    data = entry.to_json()
    facts = [
        ("Negative prompt", data["negative_prompt"]),
        ("Seed", data["seed"]),
        ("Model", data["model_id"]),
        ("Duration", f"{data['duration']} s" if data["duration"] is not None else None),
        ("Size", _size(data)),
        ("Cost", f"{data['cost']} CU" if data["cost"] is not None else None),
        ("Parameters", json.dumps(data["parameters"], sort_keys=True) if data["parameters"] else None),
        ("DAG", video.dag_id),
        ("Run", video.run_id),
        ("Landed", video.timestamp.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Job", data["job_id"]),
        ("Asset", data["asset_id"]),
        ("sha256", data["sha256"]),
        ("URI", video.uri),
    ]
    rows = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(str(value))}</dd>" for name, value in facts if value is not None
    )
    problem = (
        f'<p class="problem" role="status">Metadata unavailable: {escape(entry.sidecar_problem)}</p>'
        if entry.sidecar_problem
        else ""
    )
    links = []
    if entry.job_url:
        links.append(f'<a href="{escape(entry.job_url)}" target="_blank" rel="noopener">Job in Scenario</a>')
    if entry.task_instance_url:
        links.append(f'<a href="{escape(entry.task_instance_url)}" target="_top">Task in Airflow</a>')
    prompt = data["prompt"]
    return (
        f'<article class="card" data-uri="{escape(video.uri)}">'
        f'<video controls preload="metadata" src="{escape(entry.stream_url)}"></video>'
        f'<p class="prompt">{escape(str(prompt)) if prompt else "(prompt unknown)"}</p>'
        f"{problem}<dl>{rows}</dl>"
        f'<p class="links">{"".join(links)}</p></article>'
    )


def _size(data: dict[str, Any]) -> str | None:
    parts = []
    if data["width"] and data["height"]:
        parts.append(f"{data['width']}x{data['height']}")
    if data["size"] is not None:
        parts.append(f"{int(data['size']):,} bytes")
    return ", ".join(parts) or None


def _pager(flt: GalleryFilter, *, has_more: bool) -> str:
    links = []
    if flt.offset > 0:
        links.append(f'<a href="?{escape(flt.query(offset=max(flt.offset - flt.limit, 0)))}">Newer</a>')
    if has_more:
        links.append(f'<a href="?{escape(flt.query(offset=flt.offset + flt.limit))}">Older</a>')
    return f'<p class="pager">{"".join(links)}</p>' if links else ""
