"""Optional test dependencies that do not exist on every supported Python."""

from __future__ import annotations

import importlib.util

#: S3 needs apache-airflow-providers-amazon (with s3fs), which requires Python 3.11+.
S3_AVAILABLE = importlib.util.find_spec("s3fs") is not None
S3_MISSING_REASON = "S3 needs apache-airflow-providers-amazon, which requires Python 3.11+"
