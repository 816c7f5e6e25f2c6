"""A migrated Airflow metadata DB (SQLite under the test AIRFLOW_HOME), for dag.test() runs."""

from __future__ import annotations

import functools


@functools.cache
def init_airflow_db() -> None:
    """Create the metadata DB once per test session (about 2 s); later calls do nothing."""
    from airflow.utils import db

    db.initdb()
