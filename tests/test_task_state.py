"""Where a task instance's records live: Airflow 3.3's store, or one Variable per key below 3.3.

The Variable stand-in itself runs through real task runners in tests/compat on Airflow 3.0-3.2.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from airflow_provider_veo.task_state import VariableTaskStateStore, task_state_store
from airflow_provider_veo.version_compat import AIRFLOW_V_3_3_PLUS


def store_for(**ids: object) -> VariableTaskStateStore:
    defaults: dict[str, object] = {"dag_id": "dag", "run_id": "manual__2026-01-01", "task_id": "t"}
    return VariableTaskStateStore(**{**defaults, "map_index": -1, **ids})  # type: ignore[arg-type]


def test_airflow_s_own_store_is_used_when_the_context_has_one() -> None:
    store = object()
    assert task_state_store({"task_state_store": store, "ti": SimpleNamespace()}) is store


def test_no_store_outside_a_task_runner() -> None:
    assert AIRFLOW_V_3_3_PLUS  # the main venv; the 3.0-3.2 path is proven in tests/compat
    ti = SimpleNamespace(dag_id="d", run_id="r", task_id="t", map_index=-1)
    assert task_state_store({"ti": ti}) is None


def test_variable_names_are_per_task_instance_and_reveal_no_ids() -> None:
    name = store_for().variable("scenario_veo31_job")
    assert re.fullmatch(r"airflow_provider_veo:[0-9a-f]{40}:scenario_veo31_job", name)
    assert "manual" not in name
    others = {
        store_for(map_index=0).variable("scenario_veo31_job"),
        store_for(run_id="manual__2026-01-02").variable("scenario_veo31_job"),
        store_for(task_id="u").variable("scenario_veo31_job"),
        store_for(dag_id="other").variable("scenario_veo31_job"),
    }
    assert len(others | {name}) == 5
    assert store_for().variable("scenario_veo31_job") == name  # stable across tries
