"""Test-only auth manager: Airflow's SimpleAuthManager, with some users limited to some DAGs.

Airflow ships no auth manager that restricts a user to some DAGs without extra services (FAB needs
its own user database, Keycloak a server), so the gallery's "a user without access sees nothing"
tests use this one. ``VEO_TEST_DAG_ACCESS`` is a JSON object ``{"<username>": ["<dag_id>", ...]}``;
a listed user may read only those DAGs, every other user keeps SimpleAuthManager's rules.

Importable as a top-level module (``restricted_auth_manager``, with tests/support on ``PYTHONPATH``)
because an installed package already owns the top-level name ``tests``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

ACCESS_ENV = "VEO_TEST_DAG_ACCESS"
CLASS_PATH = "restricted_auth_manager.RestrictedAuthManager"


class RestrictedAuthManager(SimpleAuthManager):
    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        allowed = json.loads(os.environ.get(ACCESS_ENV) or "{}").get(user.username)
        if allowed is not None and (details is None or details.id not in allowed):
            return False
        return super().is_authorized_dag(
            method=method, user=user, access_entity=access_entity, details=details
        )
