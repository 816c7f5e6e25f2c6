"""The "Scenario Job" button on a task: opens the job in the Scenario web app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

JOB_URL_XCOM_KEY: Final = "job_url"
"""XCom key under which an operator pushes the job's web URL, before it waits on the job."""


class ScenarioJobLink(BaseOperatorLink):
    """Link to the Scenario job a task submitted or waits on (read from XCom key ``job_url``).

    Attach it with ``operator_extra_links = (ScenarioJobLink(),)`` and push the URL (from
    ``ScenarioHook.job_url(job_id)``) with ``ti.xcom_push(key="job_url", value=url)`` before waiting:
    the link then works while the task is deferred, and after it failed.
    """

    name = "Scenario Job"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        url = XCom.get_value(key=JOB_URL_XCOM_KEY, ti_key=ti_key)
        return str(url) if url else ""
