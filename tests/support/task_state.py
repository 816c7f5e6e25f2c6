"""The real Task SDK ``TaskStateStoreAccessor``, backed by an in-memory supervisor.

Outside a task runner there is no supervisor to answer the accessor's messages. ``InMemoryTaskState``
answers them the way the supervisor and the Execution API do (``GetTaskStateStore`` -> the value or
``TASK_STORE_NOT_FOUND``; ``SetTaskStateStore`` / ``DeleteTaskStateStore`` / ``ClearTaskStateStore``
-> ok), keeping one task's state across tries like the DB does (its scope is dag, run, task and map
index, not the try). Each ``accessor()`` is what ``context["task_state_store"]`` holds in one try.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow.sdk._shared.state import TaskScope
from airflow.sdk.exceptions import ErrorType
from airflow.sdk.execution_time.comms import (
    ClearTaskStateStore,
    DeleteTaskStateStore,
    ErrorResponse,
    GetTaskStateStore,
    OKResponse,
    SetTaskStateStore,
    TaskStateStoreResult,
)
from airflow.sdk.execution_time.context import TaskStateStoreAccessor
from airflow.sdk.execution_time.supervisor import set_supervisor_comms


class InMemoryTaskState:
    """The state of one task instance, and the supervisor side of the accessor's messages."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes: list[tuple[str, Any]] = []

    def send(self, msg: Any) -> Any:
        if isinstance(msg, GetTaskStateStore):
            if msg.key not in self.values:
                return ErrorResponse(error=ErrorType.TASK_STORE_NOT_FOUND, detail={"key": msg.key})
            return TaskStateStoreResult(value=self.values[msg.key])
        if isinstance(msg, SetTaskStateStore):
            self.values[msg.key] = msg.value
            self.writes.append((msg.key, msg.value))
            return OKResponse(ok=True)
        if isinstance(msg, DeleteTaskStateStore):
            self.values.pop(msg.key, None)
            return OKResponse(ok=True)
        if isinstance(msg, ClearTaskStateStore):
            self.values.clear()
            return OKResponse(ok=True)
        raise AssertionError(f"unexpected message to the supervisor: {msg!r}")

    @contextmanager
    def accessor(self) -> Iterator[TaskStateStoreAccessor]:
        """A new try's ``task_state_store`` (a fresh TI id, the same task state)."""
        scope = TaskScope(dag_id="dag", run_id="run", task_id="task", map_index=-1)
        with set_supervisor_comms(self):
            yield TaskStateStoreAccessor(ti_id=uuid.uuid4(), scope=scope)
