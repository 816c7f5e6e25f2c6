"""Guard against Airflow 3.0.x/3.1.0 resuming a retry with the trigger event of an earlier try.

On those versions a task that failed in ``execute_complete`` keeps its ``next_method``, so its retry
goes straight back into ``execute_complete`` with the old event (apache/airflow#56704, fixed in
3.1.1). The trigger echoes the try that deferred; a method that receives another try's event runs
``execute()`` again instead, which resumes the recorded job:

.. code-block:: python

    def execute_complete(self, context, event=None):
        if is_stale_event(event, context):
            return self.execute(context)
        ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TRY_NUMBER_KEY = "try_number"
"""Key of the deferring try's number, in the trigger's kwargs and in its event payload."""


def current_try(context: Mapping[str, Any]) -> int | None:
    """The running try's number, or ``None`` outside a task runner."""
    try_number = getattr(context.get("ti"), "try_number", None)
    return try_number if isinstance(try_number, int) else None


def is_stale_event(event: object, context: Mapping[str, Any]) -> bool:
    """Whether ``event`` was fired for another try than the running one."""
    deferred_in = event.get(TRY_NUMBER_KEY) if isinstance(event, Mapping) else None
    running = current_try(context)
    return isinstance(deferred_in, int) and running is not None and deferred_in != running
