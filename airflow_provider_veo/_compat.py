"""The Airflow names that moved between 3.0 and 3.3, imported from one place.

On Python 3.11+ they come from ``apache-airflow-providers-common-compat`` (>= 1.23, a dependency
there), which picks the newest location the installed Airflow has, as Airflow's own providers do:

.. code-block:: python

    from airflow_provider_veo._compat import AirflowException, BaseHook, conf

On Python 3.10 the dependency resolves to common-compat 1.20 (newer releases need 3.11), so this module
imports from ``airflow.sdk`` directly and the provider supports only Airflow 3.3 there.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async

from airflow_provider_veo.version_compat import AIRFLOW_V_3_3_PLUS

if TYPE_CHECKING:
    from airflow.sdk import Connection

if sys.version_info >= (3, 11):
    from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson
    from airflow.providers.common.compat.sdk import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSensorTimeout,
        BaseHook,
        TaskDeferred,
        conf,
        get_hook_lineage_collector,
        mask_secret,
    )
else:
    if not AIRFLOW_V_3_3_PLUS:
        raise ImportError(
            "airflow-provider-veo on Python 3.10 supports Airflow 3.3 only; "
            "use Python 3.11+ (with apache-airflow-providers-common-compat>=1.23.0) for Airflow 3.0-3.2."
        )
    from airflow.sdk import BaseHook, conf
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSensorTimeout,
        TaskDeferred,
    )
    from airflow.sdk.lineage import get_hook_lineage_collector
    from airflow.sdk.log import mask_secret

    async def get_async_connection(conn_id: str, hook: BaseHook | None = None) -> Connection:
        """``aget_connection`` of ``hook`` (or ``BaseHook``): asynchronous masking on Airflow 3.3."""
        return await (hook or BaseHook).aget_connection(conn_id)

    async def get_async_extra_dejson(conn: Connection) -> dict[str, Any]:
        """The connection's extra, masked without blocking the loop (3.3.2; 3.3.0/1 in a thread)."""
        if hasattr(conn, "aextra_dejson"):
            extra: dict[str, Any] = await conn.aextra_dejson()
            return extra
        return await sync_to_async(lambda: conn.extra_dejson)()


def default_deferrable(deferrable: bool | None) -> bool:
    """``deferrable`` as given, or ``[operators] default_deferrable`` (read when the task is created)."""
    if deferrable is None:
        return bool(conf.getboolean("operators", "default_deferrable", fallback=False))
    return deferrable


async def amask_secret(secret: Any, name: str | None = None) -> None:
    """``airflow.sdk.log.amask_secret`` on Airflow 3.3; below, ``mask_secret`` in a worker thread.

    Below 3.3 masking is a synchronous call to the supervisor, which must not run on the event loop.
    """
    if AIRFLOW_V_3_3_PLUS:
        from airflow.sdk.log import amask_secret as sdk_amask_secret

        await sdk_amask_secret(secret, name)
    else:
        await sync_to_async(mask_secret)(secret, name)


__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSensorTimeout",
    "BaseHook",
    "TaskDeferred",
    "amask_secret",
    "conf",
    "default_deferrable",
    "get_async_connection",
    "get_async_extra_dejson",
    "get_hook_lineage_collector",
    "mask_secret",
]
