"""The gallery's settings, read from Airflow's configuration (section ``[scenario_veo]``).

* ``gallery_asset_aliases``: comma-separated asset aliases whose events are listed
  (default ``scenario-videos``, the transfer's default ``asset_alias``).
* ``gallery_storage_conn_ids``: JSON object ``{"<uri prefix>": "<conn id>"}`` naming the connection
  the api-server reads videos with (e.g. a read-only one); default ``{}``: the connection the
  transfer task wrote with, else the store's default credentials.
* ``gallery_uri_prefixes``: comma-separated URI prefixes the api-server may read from (e.g.
  ``s3://my-bucket/veo/``); default empty: any recorded asset URI. Asset events are written by DAG
  code, so where DAG authors are not trusted with the api-server's files or buckets, set it.
"""

from __future__ import annotations

import json
from typing import Final
from urllib.parse import urlparse

from airflow.configuration import conf

from airflow_provider_veo.transfers.scenario_assets_to_storage import DEFAULT_ASSET_ALIAS

SECTION: Final = "scenario_veo"


def asset_aliases() -> list[str]:
    value = conf.get(SECTION, "gallery_asset_aliases", fallback="") or DEFAULT_ASSET_ALIAS
    return [alias.strip() for alias in value.split(",") if alias.strip()]


def storage_conn_ids() -> dict[str, str]:
    mapping = json.loads(conf.get(SECTION, "gallery_storage_conn_ids", fallback="") or "{}")
    if not isinstance(mapping, dict):
        raise ValueError(f"[{SECTION}] gallery_storage_conn_ids must be a JSON object")
    return {str(prefix): str(conn_id) for prefix, conn_id in mapping.items()}


def uri_allowed(uri: str) -> bool:
    """Whether ``uri`` (a recorded asset URI) is under ``gallery_uri_prefixes``, when those are set."""
    value = conf.get(SECTION, "gallery_uri_prefixes", fallback="") or ""
    prefixes = [prefix.strip() for prefix in value.split(",") if prefix.strip()]
    return not prefixes or any(uri.startswith(prefix) for prefix in prefixes)


def base_path() -> str:
    """The path of the Airflow UI under ``[api] base_url``: ``""`` at the root, else e.g. ``"/airflow"``."""
    base_url = conf.get("api", "base_url", fallback="/") or "/"
    path = urlparse(base_url).path if "://" in base_url else base_url
    return path.rstrip("/")
