"""The JSON provenance sidecar written next to each transferred video.

It holds what an ML team needs to build a dataset from generated videos (who made it, with which
model, prompt, seed and parameters, at what cost) plus what proves the object is complete (size,
sha256). It never holds a signed URL. The sidecar of ``videos/a.mp4`` is ``videos/a.mp4.json``
(appended, so it can never collide with another object's name).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from airflow.sdk import ObjectStoragePath

from airflow_provider_veo import __version__

SCHEMA_VERSION: Final = 1
SUFFIX: Final = ".json"


def sidecar_path(video: ObjectStoragePath) -> ObjectStoragePath:
    """``<video name>.json`` in the same folder as the video."""
    return video.with_name(video.name + SUFFIX)


def build_sidecar(
    *,
    asset: Mapping[str, Any],
    job: Mapping[str, Any] | None,
    job_id: str | None,
    uri: str,
    sha256: str,
    size: int,
    transferred_at: str,
    chain: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance record of one video (``schema_version`` 1; see docs/transfers.md).

    ``chain`` (the ``chain`` of a ``Veo31ExtendOperator`` result: source asset, each step's prompt,
    job id, video and cost) is recorded as is under ``"chain"`` when given.
    """
    metadata: Mapping[str, Any] = asset.get("metadata") or {}
    properties: Mapping[str, Any] = asset.get("properties") or {}
    job_metadata: Mapping[str, Any] = (job or {}).get("metadata") or {}
    parameters: Mapping[str, Any] = job_metadata.get("input") or {}
    billing: Mapping[str, Any] = (job or {}).get("billing") or {}
    record = {
        "schema_version": SCHEMA_VERSION,
        "source": "scenario",
        "provider_version": __version__,
        "uri": uri,
        "job_id": job_id,
        "asset_id": asset["id"],
        "model_id": metadata.get("modelId") or (job or {}).get("modelId"),
        "prompt": _first(metadata.get("prompt"), parameters.get("prompt")),
        "negative_prompt": _first(metadata.get("negativePrompt"), parameters.get("negativePrompt")),
        "seed": _seed(_first(metadata.get("seed"), parameters.get("seed"))),
        "parameters": dict(parameters),
        "cost": billing.get("cuCost"),
        "sha256": sha256,
        "size": size,
        "mime_type": asset.get("mimeType"),
        "width": properties.get("width"),
        "height": properties.get("height"),
        "duration": properties.get("duration"),
        "frame_rate": properties.get("frameRate"),
        "created_at": asset.get("createdAt"),
        "transferred_at": transferred_at,
    }
    if chain is not None:
        record["chain"] = dict(chain)
    return record


def encode(record: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON, keys in schema order, indented for people reading it in a bucket browser."""
    return (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode()


def read_sidecar(path: ObjectStoragePath) -> dict[str, Any] | None:
    """The sidecar at ``path``, or ``None`` when it is missing or not a JSON object.

    Read through the connection's filesystem, like the writes: ``ObjectStoragePath.open()`` would
    record the sidecar as a lineage input on every skip-if-identical check.
    """
    fs: Any = path.fs  # fsspec is untyped
    try:
        record = json.loads(fs.cat_file(path.path))
    except (FileNotFoundError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _seed(value: Any) -> Any:
    # The API types the asset's seed as a string ("42") and the input's as a number.
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value
