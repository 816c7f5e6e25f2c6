"""A minimal task context for calling ``execute()`` directly, outside a task runner."""

from __future__ import annotations

from typing import Any


class RecordingTaskInstance:
    """Stands in for the runtime task instance: records what the task pushes to XCom."""

    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}
        self.pushes: list[str] = []

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value
        self.pushes.append(key)


def task_context(task_state_store: Any = None) -> dict[str, Any]:
    """``{"ti": ...}`` plus ``task_state_store`` when given (as the task runner provides it)."""
    context: dict[str, Any] = {"ti": RecordingTaskInstance()}
    if task_state_store is not None:
        context["task_state_store"] = task_state_store
    return context
