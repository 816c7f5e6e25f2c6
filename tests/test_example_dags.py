"""Every example DAG imports cleanly, and its operators validate their static parameters at parse time."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

EXAMPLE_DAGS = Path(__file__).resolve().parents[1] / "example_dags"


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=EXAMPLE_DAGS)


def test_example_dags_import_without_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}
    assert len(dagbag.dags) == len(list(EXAMPLE_DAGS.glob("*.py")))


def test_main_example_wires_generate_to_store(dagbag: DagBag) -> None:
    dag = dagbag.dags["veo31_generate_to_storage"]
    assert dag.get_task("generate").downstream_task_ids == {"store"}
    assert dag.get_task("generate").deferrable is True


def test_long_form_example_chains_generate_extend_store(dagbag: DagBag) -> None:
    dag = dagbag.dags["veo31_long_form"]
    assert dag.get_task("generate").downstream_task_ids == {"extend"}
    assert dag.get_task("extend").downstream_task_ids == {"store"}
    assert len(dag.get_task("extend").prompts) == 4  # 8 s + 4 x 7 s = 36 s
