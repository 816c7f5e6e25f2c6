"""Per-task-instance state that survives retries: Airflow 3.3's ``task_state_store``, or Variables below.

What a try records (e.g. the paid job it submitted) must reach the next try of the same task instance.
Airflow 3.3 gives every task ``context["task_state_store"]``. Airflow 3.0-3.2 have no such store and
wipe a task instance's XComs at the start of each try, but Task SDK Variables survive retries, so
:class:`VariableTaskStateStore` keeps each record in a Variable named after the task instance:

.. code-block:: python

    store = task_state_store(context)
    if store is not None:
        store.set("my_key", {"job_id": "job_123"})

Caveats of the Variable stand-in (the README's support table says the same):

* Variables are global: anyone with Variable access can read the record (a job id, a fingerprint, the
  request body sent to the API, as the task's rendered template fields show it). The Variable name
  holds a hash of the task instance's ids, never the ids themselves.
* Like 3.3's store (with ``[state_store] clear_on_success = False``, its default) records survive a
  clear and are never purged: one small Variable per task instance that submitted. Delete them with
  ``airflow variables list -o plain | grep '^airflow_provider_veo:' | xargs -rn1 airflow variables delete``.
* A secrets backend is asked first on every read; ``Variable.set`` only logs its errors on 3.0-3.2,
  so every write is read back and a lost write fails the task before anything is paid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Protocol

from airflow.sdk import Variable

from airflow_provider_veo._compat import AirflowException
from airflow_provider_veo.version_compat import AIRFLOW_V_3_3_PLUS

VARIABLE_PREFIX = "airflow_provider_veo"


class TaskStateStore(Protocol):
    """What the provider uses of Airflow 3.3's ``TaskStateStoreAccessor`` (JSON values per key)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...

    def delete(self, key: str) -> None: ...


class TaskStateWriteError(AirflowException):
    """A record could not be written; nothing is submitted without it."""


class VariableTaskStateStore:
    """A task instance's records as JSON Variables ``airflow_provider_veo:<hash of the ti>:<key>``.

    >>> store = VariableTaskStateStore(dag_id="d", run_id="r", task_id="t", map_index=-1)
    >>> store.variable("scenario_veo31_job").startswith("airflow_provider_veo:")
    True
    """

    def __init__(self, *, dag_id: str, run_id: str, task_id: str, map_index: int) -> None:
        identity = "|".join((dag_id, run_id, task_id, str(map_index)))
        self._scope = hashlib.sha256(identity.encode()).hexdigest()[:40]

    def variable(self, key: str) -> str:
        """The Variable that holds ``key`` for this task instance."""
        return f"{VARIABLE_PREFIX}:{self._scope}:{key}"

    def get(self, key: str, default: Any = None) -> Any:
        return Variable.get(self.variable(key), default=default, deserialize_json=True)

    def set(self, key: str, value: Any) -> None:
        Variable.set(self.variable(key), value, serialize_json=True)
        if self.get(key) != value:  # 3.0-3.2 log a refused write instead of raising it
            raise TaskStateWriteError(
                f"Could not record {key!r} in Variable {self.variable(key)!r} (see the error logged "
                "above): without it a retry could pay for the same job twice, so the task stops here."
            )

    def delete(self, key: str) -> None:
        Variable.delete(self.variable(key))


def task_state_store(context: Mapping[str, Any]) -> TaskStateStore | None:
    """The task instance's state store: Airflow 3.3's, a Variable stand-in below 3.3, or ``None``.

    ``None`` when no task runner runs the task (e.g. ``execute()`` called directly, or Airflow 3.0.0/1's
    ``dags test`` without a supervisor): nothing can be recorded then.
    """
    store: TaskStateStore | None = context.get("task_state_store")
    if store is not None or AIRFLOW_V_3_3_PLUS:
        return store
    ti: Any = context.get("ti")
    try:
        variable_store = VariableTaskStateStore(
            dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index
        )
        variable_store.get("probe")
    except Exception:  # no task instance or no supervisor to ask: no store at all
        return None
    return variable_store
