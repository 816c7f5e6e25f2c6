"""Test-suite set-up: an isolated AIRFLOW_HOME, set before anything imports Airflow."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

_HOME = tempfile.mkdtemp(prefix="airflow-provider-veo-tests-")
os.environ["AIRFLOW_HOME"] = _HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).parent / "dags")
# Two DAG bundles: the tests' own DAGs and the shipped examples (dag.test() syncs the bundle of its DAG).
_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"
os.environ["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"] = json.dumps(
    [
        {"name": "tests", "classpath": _BUNDLE, "kwargs": {"path": str(Path(__file__).parent / "dags")}},
        {
            "name": "examples",
            "classpath": _BUNDLE,
            "kwargs": {"path": str(Path(__file__).parents[1] / "example_dags")},
        },
    ]
)
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
# gcsfs reads it on import; its default (true) probes every bucket over gRPC, 20-60 s against an emulator.
os.environ["GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"] = "false"
for _var in ("SCENARIO_SDK_API_KEY", "SCENARIO_SDK_API_SECRET", "SCENARIO_BASE_URL", "SCENARIO_SDK_JWT"):
    os.environ.pop(_var, None)

pytest_plugins = ["airflow_provider_veo.testing.pytest_plugin"]

# The compatibility suite runs in the per-version venvs of scripts/compat_matrix.py (`make compat`).
collect_ignore = [] if os.environ.get("VEO_COMPAT_SUITE") else ["compat"]
