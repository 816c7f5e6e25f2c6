from __future__ import annotations

import pytest

from tests.support.airflow_db import init_airflow_db


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated metadata DB, for dag.test()."""
    init_airflow_db()
