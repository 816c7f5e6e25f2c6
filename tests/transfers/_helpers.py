"""Small assertions helpers shared by the transfer tests."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from airflow.sdk import AssetAlias
from airflow.sdk.execution_time.context import OutletEventAccessors


def alias_events(
    accessors: OutletEventAccessors, alias: str = "scenario-videos"
) -> list[tuple[str, dict[str, Any]]]:
    """``(asset uri, extra)`` of every event added to the alias."""
    return [
        (event.dest_asset_key.uri, event.extra) for event in accessors[AssetAlias(alias)].asset_alias_events
    ]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
