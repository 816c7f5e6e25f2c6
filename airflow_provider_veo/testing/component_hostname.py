"""``[core] hostname_callable`` for a stack on one machine: each component reports its own name.

Airflow records ``task_instance.hostname`` (Celery worker) and ``job.hostname`` (triggerer) from
this callable; on one machine they would all be the same, so the stack names them through
:data:`HOSTNAME_ENV` (e.g. ``worker-1``, ``triggerer-2``).

>>> hostname()  # in a process started with AIRFLOW_STACK_HOSTNAME=worker-1  # doctest: +SKIP
'worker-1'
"""

from __future__ import annotations

import os
import socket

HOSTNAME_ENV = "AIRFLOW_STACK_HOSTNAME"
CALLABLE_PATH = f"{__name__}.hostname"


def hostname() -> str:
    """The component's name from :data:`HOSTNAME_ENV`, else the machine's FQDN (Airflow's default)."""
    return os.environ.get(HOSTNAME_ENV) or socket.getfqdn()
