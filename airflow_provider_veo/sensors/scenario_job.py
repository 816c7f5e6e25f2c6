"""Wait for a Scenario job submitted elsewhere (another task, another system) to finish."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_veo._compat import AirflowSensorTimeout, default_deferrable
from airflow_provider_veo.exceptions import ScenarioError
from airflow_provider_veo.hooks.retry_policy import check_delay
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.links.scenario_job import JOB_URL_XCOM_KEY, ScenarioJobLink
from airflow_provider_veo.triggers.job_complete import JobCompleteTrigger
from airflow_provider_veo.triggers.job_event import (
    JobEvent,
    JobEventStatus,
    format_cost,
    validate_job_event,
)
from airflow_provider_veo.triggers.job_polling import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES,
    POLL_REQUEST_RETRIES,
    JobPoller,
    is_transient,
)
from airflow_provider_veo.triggers.stale_event import current_try, is_stale_event

if TYPE_CHECKING:
    from airflow.sdk import Context


class ScenarioJobSensor(BaseSensorOperator):
    """Wait until a Scenario job finishes; return its asset ids (XCom ``return_value``).

    A job that fails raises :class:`ScenarioJobFailedError` (with the API's error and hint), one that
    is canceled :class:`ScenarioJobCanceledError`; a job still running after the sensor's ``timeout``
    raises ``AirflowSensorTimeout`` in both modes (so ``soft_fail`` works the same way). Deferrable
    mode checks once, then waits in the triggerer with :class:`JobCompleteTrigger`, polling every
    ``poke_interval`` until ``timeout`` (an absolute deadline carried by the trigger).

    **Transient errors** (429, 5xx, the API unreachable; each poke's request is retried once quickly
    by the hook) are ridden out as in the trigger: the poke logs a warning and reports "not done",
    until ``max_consecutive_failures`` pokes in a row have failed, which fails the task. Any other
    error (401, 403, 404, ...) fails it at once. The count lives on the sensor instance, so it spans
    pokes in ``poke`` mode and in the deferrable path. In ``reschedule`` mode every poke runs on a
    fresh instance and the count cannot carry over: a transient error is then always ridden out
    (unless ``max_consecutive_failures=1``) and only the sensor's ``timeout`` ends a long outage.

    .. code-block:: python

        wait = ScenarioJobSensor(
            task_id="wait_for_video",
            job_id="{{ ti.xcom_pull(task_ids='generate', key='job_id') }}",
            poke_interval=15,
            timeout=3600,
            deferrable=True,
        )

    :param job_id: the job to wait on (templated).
    :param scenario_conn_id: Airflow connection (type ``scenario``).
    :param project_id: Scenario project, when not the connection's (templated).
    :param deferrable: wait in the triggerer; ``None`` (the default) follows
        ``[operators] default_deferrable``, read when the task is created.
    :param max_consecutive_failures: pokes (or trigger polls) in a row that may fail transiently
        before the sensor fails.
    """

    template_fields: Sequence[str] = ("job_id", "project_id")
    operator_extra_links = (ScenarioJobLink(),)
    ui_color = "#d6e4ff"

    def __init__(
        self,
        *,
        job_id: str,
        scenario_conn_id: str = ScenarioHook.default_conn_name,
        project_id: str | None = None,
        deferrable: bool | None = None,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_delay("poke_interval", self.poke_interval, allow_zero=False)
        check_delay("timeout", self.timeout, allow_zero=False)
        if isinstance(max_consecutive_failures, bool) or max_consecutive_failures < 1:
            raise ValueError(f"max_consecutive_failures must be at least 1, got {max_consecutive_failures!r}")
        self.job_id = job_id
        self.scenario_conn_id = scenario_conn_id
        self.project_id = project_id
        self.deferrable = default_deferrable(deferrable)
        self.max_consecutive_failures = max_consecutive_failures

    @cached_property
    def hook(self) -> ScenarioHook:
        return ScenarioHook(
            scenario_conn_id=self.scenario_conn_id,
            project_id=self.project_id,
            max_retries=POLL_REQUEST_RETRIES,
        )

    @cached_property
    def poller(self) -> JobPoller:
        """Progress logging and the budget of transient failures, kept across pokes.

        No deadline: the sensor's own ``timeout`` is the deadline.
        """
        return JobPoller(
            job_id=self.job_id,
            end_time=math.inf,
            max_consecutive_failures=self.max_consecutive_failures,
            log=self.log,
        )

    def execute(self, context: Context) -> Any:
        context["ti"].xcom_push(key=JOB_URL_XCOM_KEY, value=self.hook.job_url(self.job_id))
        if not self.deferrable:
            return super().execute(context)
        done = self.poke(context)
        if done:
            return done.xcom_value
        self.defer(
            trigger=JobCompleteTrigger(
                job_id=self.job_id,
                end_time=time.time() + self.timeout,
                scenario_conn_id=self.scenario_conn_id,
                project_id=self.project_id,
                poll_interval=self.poke_interval,
                max_consecutive_failures=self.max_consecutive_failures,
                try_number=current_try(context),
            ),
            method_name="execute_complete",
            timeout=None,
        )

    def poke(self, context: Context) -> PokeReturnValue:
        try:
            job = self.hook.get_job(self.job_id)
        except ScenarioError as error:
            if not is_transient(error):
                raise
            event = self.poller.on_error(error)
        else:
            event = self.poller.on_job(job)
        if event is None:
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=self._asset_ids(event))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after :class:`JobCompleteTrigger` fired; return the job's asset ids."""
        if is_stale_event(event, context):  # an earlier try's event (Airflow 3.0.x, 3.1.0)
            return self.execute(context)
        job_event = validate_job_event(event)
        if job_event.status is JobEventStatus.TIMEOUT:
            raise AirflowSensorTimeout(
                f"Scenario job {job_event.job_id} did not finish within the sensor's timeout of "
                f"{self.timeout:g} s (last status: {job_event.job_status}); it goes on running."
            )
        return self._asset_ids(job_event)

    def _asset_ids(self, event: JobEvent) -> list[str]:
        """The asset ids of a successful job; raise the outcome's exception otherwise."""
        result = event.result()
        self.log.info(
            "Scenario job %s succeeded; cost %s creative units; assets %s",
            result["job_id"],
            format_cost(result["cost"]),
            result["asset_ids"],
        )
        return result["asset_ids"]
