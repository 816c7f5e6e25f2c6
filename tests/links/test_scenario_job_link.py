"""ScenarioJobLink reads the job URL the task pushed to XCom (key ``job_url``)."""

from __future__ import annotations

from typing import Any

from airflow.sdk.execution_time.comms import GetXCom, XComResult
from airflow.sdk.execution_time.supervisor import set_supervisor_comms
from airflow.sdk.types import TaskInstanceKey

from airflow_provider_veo.links import ScenarioJobLink
from airflow_provider_veo.operators import Veo31GenerateOperator
from airflow_provider_veo.sensors import ScenarioJobSensor

KEY = TaskInstanceKey(dag_id="dag", task_id="generate", run_id="run", try_number=1, map_index=-1)


class XComStore:
    """Answers GetXCom the way the supervisor does, from a dict of (dag, run, task, map index, key)."""

    def __init__(self, values: dict[tuple[str, str, str, int, str], Any]) -> None:
        self.values = values
        self.requests: list[GetXCom] = []

    def send(self, msg: Any) -> Any:
        assert isinstance(msg, GetXCom), msg
        self.requests.append(msg)
        value = self.values.get((msg.dag_id, msg.run_id, msg.task_id, msg.map_index, msg.key))
        return XComResult(key=msg.key, value=value)


def test_name_and_attachment() -> None:
    assert ScenarioJobLink().name == "Scenario Job"
    for operator in (Veo31GenerateOperator, ScenarioJobSensor):
        assert any(isinstance(link, ScenarioJobLink) for link in operator.operator_extra_links)


def test_get_link_returns_the_pushed_job_url() -> None:
    url = "https://app.scenario.com/jobs/job_123"
    store = XComStore({("dag", "run", "generate", -1, "job_url"): url})
    op = Veo31GenerateOperator(task_id="generate", prompt="a fox")
    with set_supervisor_comms(store):
        assert ScenarioJobLink().get_link(op, ti_key=KEY) == url

    assert [(r.key, r.task_id) for r in store.requests] == [("job_url", "generate")]


def test_get_link_is_empty_before_a_job_exists() -> None:
    op = Veo31GenerateOperator(task_id="generate", prompt="a fox")
    with set_supervisor_comms(XComStore({})):
        assert ScenarioJobLink().get_link(op, ti_key=KEY) == ""
