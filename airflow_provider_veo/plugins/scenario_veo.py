"""The ``scenario_veo`` Airflow plugin: the review gallery on the api-server, with its menu entries.

Registered through the ``airflow.plugins`` entry point (pyproject.toml), which Airflow loads in every
process with default settings; provider-info plugins would need ``[core] lazy_discover_providers =
False``. Importing this module is cheap: the gallery app and its imports are only built on the
api-server, and the UI entries (external views) only on Airflow 3.1+, which has them.
"""

from __future__ import annotations

import sys
from typing import Any, Final

from airflow import __version__ as airflow_version
from airflow.plugins_manager import AirflowPlugin
from packaging.version import Version

URL_PREFIX: Final = "/scenario-veo"
AIRFLOW_V_3_1_PLUS: Final = Version(Version(airflow_version).base_version) >= Version("3.1.0")


def running_on_api_server(argv: list[str] | None = None) -> bool:
    """``airflow api-server`` (the same test as the edge3 provider's plugin)."""
    argv = sys.argv if argv is None else argv
    return len(argv) > 1 and argv[1] == "api-server"


def gallery_apps() -> list[dict[str, Any]]:
    from airflow_provider_veo.plugins.gallery.app import create_gallery_app

    return [{"app": create_gallery_app(), "url_prefix": URL_PREFIX, "name": "Scenario Veo gallery"}]


def gallery_views() -> list[dict[str, Any]]:
    """A "Veo videos" menu entry, and a tab on each DAG run showing that run's videos."""
    from airflow_provider_veo.plugins.gallery.settings import base_path

    gallery = f"{base_path()}{URL_PREFIX}/"
    return [
        {
            "name": "Veo videos",
            "href": gallery,
            "destination": "nav",
            "category": "browse",
            "url_route": "scenario_veo_gallery",
        },
        {
            "name": "Veo videos",
            "href": gallery + "?dag_id={DAG_ID}&run_id={RUN_ID}",
            "destination": "dag_run",
            "url_route": "scenario_veo_run_gallery",
        },
    ]


class ScenarioVeoPlugin(AirflowPlugin):
    """The review gallery of videos landed by ``ScenarioAssetsToStorageOperator`` (docs/gallery.md)."""

    name = "scenario_veo"
    if running_on_api_server():
        fastapi_apps = gallery_apps()
        if AIRFLOW_V_3_1_PLUS:
            external_views = gallery_views()
