"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_veo import __version__

INTEGRATION = "Scenario (Veo 3.1)"


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-veo",
        "name": "Scenario Veo 3.1",
        "description": (
            "Generate videos with Google Veo 3.1 through the Scenario API, and land them in your storage."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://docs.scenario.com/",
                "tags": ["ai", "service"],
            }
        ],
        "hooks": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_provider_veo.hooks.scenario",
                    "airflow_provider_veo.hooks.scenario_async",
                ],
            }
        ],
        "operators": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_provider_veo.operators.veo31",
                    "airflow_provider_veo.operators.veo31_extend",
                ],
            }
        ],
        "sensors": [
            {"integration-name": INTEGRATION, "python-modules": ["airflow_provider_veo.sensors.scenario_job"]}
        ],
        "triggers": [
            {
                "integration-name": INTEGRATION,
                "python-modules": ["airflow_provider_veo.triggers.job_complete"],
            }
        ],
        "transfers": [
            {
                "source-integration-name": INTEGRATION,
                "target-integration-name": "Common IO",
                "python-module": "airflow_provider_veo.transfers.scenario_assets_to_storage",
            }
        ],
        "extra-links": ["airflow_provider_veo.links.scenario_job.ScenarioJobLink"],
        "connection-types": [
            {
                "connection-type": "scenario",
                "hook-class-name": "airflow_provider_veo.hooks.scenario.ScenarioHook",
                "hook-name": "Scenario",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "extra"],
                    "relabeling": {"login": "API Key", "password": "API Secret", "host": "API Base URL"},
                    "placeholders": {
                        "host": "https://api.cloud.scenario.com/v1",
                        "login": "empty: SCENARIO_SDK_API_KEY from the environment",
                        "password": "empty: SCENARIO_SDK_API_SECRET from the environment",
                    },
                },
                "conn-fields": {
                    "project_id": {
                        "label": "Project ID",
                        "description": "Sent as ?projectId= on every call (optional).",
                        "schema": {"type": ["string", "null"]},
                    },
                    "timeout": {
                        "label": "Request timeout (s)",
                        "description": "Timeout of each HTTP request, in seconds.",
                        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": 60},
                    },
                    "web_url": {
                        "label": "Scenario app URL",
                        "description": "Base of the job links shown in the Airflow UI.",
                        "schema": {"type": ["string", "null"], "default": "https://app.scenario.com"},
                    },
                    "allow_insecure_http": {
                        "label": "Allow plain http",
                        "description": "Allow an http:// API URL to a host that is not loopback "
                        "(the credentials then travel in clear).",
                        "schema": {"type": ["boolean", "null"], "default": False},
                    },
                },
            }
        ],
    }
