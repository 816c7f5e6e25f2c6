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
from airflow_provider_veo.models.api import ApiModel, Job, ScenarioAsset

SCHEMA_VERSION: Final = 1
SUFFIX: Final = ".json"


def sidecar_path(video: ObjectStoragePath) -> ObjectStoragePath:
    """``<video name>.json`` in the same folder as the video."""
    return video.with_name(video.name + SUFFIX)


def build_sidecar(
    *,
    asset: ScenarioAsset,
    job: Job | None,
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
    metadata = asset.metadata
    parameters: Mapping[str, Any] = (job.metadata.input if job is not None else None) or {}
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": "scenario",
        "provider_version": __version__,
        "uri": uri,
        "job_id": job_id,
        "asset_id": asset.id,
        "model_id": metadata.model_id or (_extra(job, "modelId") if job is not None else None),
        "prompt": _first(metadata.prompt, parameters.get("prompt")),
        "negative_prompt": _first(metadata.negative_prompt, parameters.get("negativePrompt")),
        "seed": _seed(_first(metadata.seed, parameters.get("seed"))),
        "parameters": dict(parameters),
        "cost": job.cost if job is not None else None,
        "sha256": sha256,
        "size": size,
        "mime_type": asset.mime_type,
        "width": _number(asset.properties.width),
        "height": _number(asset.properties.height),
        "duration": _number(asset.properties.duration),
        "frame_rate": _extra(asset.properties, "frameRate"),
        "created_at": _extra(asset, "createdAt"),
        "transferred_at": transferred_at,
    }
    if chain is not None:
        record["chain"] = dict(chain)
    return record


def _extra(model: ApiModel, name: str) -> Any:
    """A field the API sent that the model does not declare (kept as received)."""
    return (model.model_extra or {}).get(name)


def _number(value: float | None) -> int | float | None:
    """Whole numbers as ints (``1920``, not ``1920.0``), as the API sent them."""
    return int(value) if value is not None and value.is_integer() else value


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
