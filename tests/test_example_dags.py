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


def test_review_example_submits_the_final_only_after_the_approval(dagbag: DagBag) -> None:
    dag = dagbag.dags["veo31_draft_review_final"]
    review = dag.get_task("review")
    assert type(review).__name__ == "ApprovalOperator"
    assert review.defaults == ["Reject"]  # no answer in time: nothing more is paid
    assert review.upstream_task_ids == {"store_draft", "estimate_final"}
    assert review.downstream_task_ids == {"final"}
    assert dag.get_task("final").upstream_task_ids == {"review"}
    assert dag.get_task("final").downstream_task_ids == {"store_final"}

    draft, final = dag.get_task("draft"), dag.get_task("final")
    for name in ("prompt", "negative_prompt", "seed", "aspect_ratio"):
        assert getattr(draft, name) == getattr(final, name)
    assert (draft.duration, draft.resolution, draft.generate_audio) == (4, "720p", False)
    assert (final.duration, final.resolution, final.generate_audio) == (8, "1080p", True)
