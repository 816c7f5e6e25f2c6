"""What the sync and async Scenario hooks have in common: identity, arguments and retry logging."""

from __future__ import annotations

from airflow_provider_veo._compat import BaseHook
from airflow_provider_veo.hooks.connection_settings import DEFAULT_CONN_ID
from airflow_provider_veo.hooks.retry_policy import GiveUp, RetriedCall, Retry, RetryPolicy


class ScenarioBaseHook(BaseHook):
    """Connection-type attributes, constructor arguments and a secret-free ``repr``."""

    conn_name_attr = "scenario_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "scenario"
    hook_name = "Scenario"

    def __init__(
        self,
        *,
        scenario_conn_id: str,
        project_id: str | None,
        max_retries: int,
        backoff_base: float,
        backoff_max: float,
    ) -> None:
        super().__init__()
        self.scenario_conn_id = scenario_conn_id
        self.project_id_override = project_id
        self.retry_policy = RetryPolicy(
            max_retries=max_retries, backoff_base=backoff_base, backoff_max=backoff_max
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(scenario_conn_id={self.scenario_conn_id!r}, "
            f"project_id={self.project_id_override!r})"
        )

    def _delay_or_raise(self, call: RetriedCall, attempt: int, decision: Retry | GiveUp) -> float:
        """Raise a :class:`GiveUp` decision's error, or log the retry and return its delay."""
        if isinstance(decision, GiveUp):
            raise decision.error from decision.cause
        self.log.warning(
            "%s %s failed (%s); retry %d/%d in %.2f s",
            call.method,
            call.path,
            decision.failure,
            attempt + 1,
            call.policy.max_retries,
            decision.delay,
        )
        return decision.delay
