"""Which assets a transfer copies: the ``asset_ids`` a user passed, or those of a finished job."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from airflow_provider_veo.exceptions import AssetTransferError, InvalidParameterError
from airflow_provider_veo.models.api import Job
from airflow_provider_veo.models.job import JobStatus


def parse_asset_ids(value: list[str] | tuple[str, ...] | str | None) -> list[str]:
    """Asset ids as a list without duplicates, from a list, one id, or a rendered list literal.

    >>> parse_asset_ids("['asset_a', 'asset_b', 'asset_a']")
    ['asset_a', 'asset_b']
    """
    if value is None:
        return []
    items: Any = value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise InvalidParameterError("asset_ids", value, "a list of asset id strings") from None
        else:
            items = [text] if text else []
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) and item for item in items):
        raise InvalidParameterError("asset_ids", value, "a list of non-empty asset id strings")
    return list(dict.fromkeys(items))


def job_id_of(job: Mapping[str, Any] | str | None) -> str | None:
    """The ``job_id`` of a generate task's result (a mapping, or its rendered text), if given.

    >>> job_id_of({"job_id": "job_1", "status": "success", "asset_ids": ["asset_a"], "cost": 60.0})
    'job_1'
    """
    if job is None or job == "":
        return None
    value: Any = job
    if isinstance(job, str):
        try:
            value = ast.literal_eval(job.strip())
        except (ValueError, SyntaxError):
            value = None
    job_id = value.get("job_id") if isinstance(value, Mapping) else None
    if not isinstance(job_id, str) or not job_id:
        raise InvalidParameterError(
            "job", job, "the result of a generate task: a mapping with a non-empty 'job_id'"
        )
    return job_id


def job_asset_ids(job: Job | None) -> list[str]:
    """The ``metadata.assetIds`` of a succeeded job; ``job`` is ``None`` when no job id was given.

    :raises InvalidParameterError: there is no job to take the assets from.
    :raises AssetTransferError: the job did not succeed.
    """
    if job is None:
        raise InvalidParameterError(
            "asset_ids", None, "pass asset_ids, job_id, or both (both rendered empty)"
        )
    if job.status is not JobStatus.SUCCESS:
        raise AssetTransferError(
            f"Job {job.job_id} has status {job.status.value}: it has no assets to transfer."
        )
    return list(dict.fromkeys(job.metadata.asset_ids))  # a succeeded Job always names at least one
