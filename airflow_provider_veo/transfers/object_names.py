"""Object names for transferred assets that can never leave the destination prefix.

Ids come from the Scenario API and names from a user template: both are checked before any path is
built, so a hostile or buggy value (``../../etc``, ``/abs``, ``s3://other-bucket/x``) is refused
with a clear error instead of writing somewhere else.
"""

from __future__ import annotations

import re
from typing import Final

from airflow.sdk import ObjectStoragePath

from airflow_provider_veo.exceptions import AssetTransferError

#: Characters allowed in an id that is put into an object name.
SAFE_ID: Final = re.compile(r"[A-Za-z0-9._-]+")
JOB_ID_FIELD: Final = "{job_id}"
ASSET_ID_FIELD: Final = "{asset_id}"
_CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x1f\x7f]")


def safe_id(value: str, *, what: str) -> str:
    """Return ``value`` if it can be used as one path segment, else raise :class:`AssetTransferError`.

    Only ``[A-Za-z0-9._-]`` is accepted and ``.`` / ``..`` are refused. Ids are refused rather than
    rewritten so that two different ids can never land on the same name.
    """
    if not SAFE_ID.fullmatch(value) or value in {".", ".."}:
        raise AssetTransferError(
            f"Refusing to use {what} {value!r} in an object name: only letters, digits, '.', '_' and '-' "
            "are allowed, and '.' or '..' alone are not."
        )
    return value


def render_object_name(template: str, *, job_id: str | None, asset_id: str) -> str:
    """Fill ``{job_id}`` and ``{asset_id}`` into an (already Jinja-rendered) object name template.

    >>> render_object_name("videos/{job_id}/{asset_id}.mp4", job_id="job_1", asset_id="asset_2")
    'videos/job_1/asset_2.mp4'

    Only these two fields are replaced, so any other brace in the template is kept as it is.
    """
    name = template.replace(ASSET_ID_FIELD, safe_id(asset_id, what="asset id"))
    if JOB_ID_FIELD in name:
        if job_id is None:
            raise AssetTransferError(
                f"The object name template {template!r} uses {JOB_ID_FIELD} but the job of asset "
                f"{asset_id!r} is unknown: pass job_id, or use a template without {JOB_ID_FIELD}."
            )
        name = name.replace(JOB_ID_FIELD, safe_id(job_id, what="job id"))
    return check_relative_name(name)


def check_relative_name(name: str) -> str:
    """Return ``name`` if it is a plain relative key (no ``..``, no root, no scheme), else raise."""
    problem = None
    if not name:
        problem = "it is empty"
    elif name.startswith(("/", "\\", "~")):
        problem = "it is absolute"
    elif "://" in name:
        problem = "it contains a URL scheme"
    elif "\\" in name:
        problem = "it contains a backslash"
    elif _CONTROL_CHARACTERS.search(name):
        problem = "it contains control characters"
    elif name.endswith("/"):
        problem = "it names a directory, not an object"
    elif any(segment in {"", ".", ".."} for segment in name.split("/")):
        problem = "it contains an empty, '.' or '..' segment"
    if problem:
        raise AssetTransferError(
            f"Invalid object name {name!r}: {problem}; it must stay inside the destination."
        )
    return name


def destination_path(prefix: ObjectStoragePath, name: str) -> ObjectStoragePath:
    """Join a checked relative ``name`` to ``prefix`` and verify the result is still under ``prefix``."""
    path = prefix / check_relative_name(name)
    root = prefix.path.rstrip("/") + "/"
    if path.protocol != prefix.protocol or not path.path.startswith(root):
        raise AssetTransferError(
            f"Invalid object name {name!r}: it resolves outside the destination {root!r}."
        )
    return path


def public_uri(path: ObjectStoragePath) -> str:
    """The URI of ``path`` without the connection id (``s3://bucket/key``, ``file:///dir/file``).

    This is what the operator returns and what asset events carry: a portable name that holds no
    credentials reference; read it back with ``ObjectStoragePath(uri, conn_id=...)``.
    """
    return f"{path.protocol}://{path.path}"
