"""Who is asking, and which DAGs they may read: Airflow's own authentication and auth manager.

The user comes from the api-server's JWT (the ``_token`` cookie the UI sets at login, or an
``Authorization: Bearer`` header), exactly as for Airflow's REST API; the DAGs from the configured
auth manager (``get_authorized_dag_ids``, teams included), so the gallery follows the same rules as
the DAG list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.core_api.security import bearer_scheme, get_user
from fastapi import Depends, HTTPException, Request

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser


async def current_user(request: Request) -> BaseUser:
    """The authenticated user, or ``HTTPException`` 401/403 (Airflow's own dependency)."""
    credentials = await bearer_scheme(request)
    user: BaseUser = await get_user(request, None, credentials)
    return user


async def user_or_none(request: Request) -> BaseUser | None:
    """The authenticated user, or ``None`` (for the HTML page, which then redirects to the login)."""
    try:
        return await current_user(request)
    except HTTPException as error:
        if error.status_code in (401, 403):
            return None
        raise


# ``Any``: FastAPI resolves these annotations at run time, where Airflow's user class is not imported.
User = Annotated[Any, Depends(current_user)]
MaybeUser = Annotated[Any, Depends(user_or_none)]


def readable_dag_ids(user: BaseUser) -> set[str]:
    """The ids of the DAGs ``user`` may read, per the auth manager (one database query)."""
    manager: Any = get_auth_manager()
    return set(manager.get_authorized_dag_ids(user=user, method="GET"))


def login_url(next_url: str) -> str:
    """Where to send a browser without a valid session (the auth manager's login page)."""
    return str(get_auth_manager().get_url_login(next_url=next_url))
