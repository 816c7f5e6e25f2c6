"""Image inputs of a generation: a Scenario asset id as is, anything else uploaded first.

``image``, ``last_frame_image`` and ``reference_images`` take a Scenario asset id (``asset_...``), a
local path, an ``ObjectStoragePath`` or its URI (``file://``, ``s3://conn_id@bucket/key``, ...).
"""

from __future__ import annotations

import os
import re
from typing import Final, Protocol, TypeAlias

from airflow.sdk import ObjectStoragePath

ImageInput: TypeAlias = "str | os.PathLike[str] | ObjectStoragePath"
"""An asset id, a local path, an ``ObjectStoragePath`` or a storage URI."""

ASSET_ID_PATTERN: Final = re.compile(r"asset_[A-Za-z0-9_-]+")
"""A Scenario asset id. ``asset_x.png`` (with a dot) or ``dir/asset_x`` is a path, not an id."""


class ImageUploader(Protocol):
    """What uploading needs from :class:`~airflow_provider_veo.hooks.scenario.ScenarioHook`."""

    def upload_image(self, source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> str: ...


def is_asset_id(value: object) -> bool:
    """Whether ``value`` is a Scenario asset id rather than something to upload."""
    return isinstance(value, str) and ASSET_ID_PATTERN.fullmatch(value) is not None


def image_label(value: object) -> str:
    """The text form of an image input, used for validation and logs (a URI keeps its conn id)."""
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


def resolve_image(uploader: ImageUploader, value: object) -> str:
    """Return the asset id for an image input, uploading it first unless it already is one."""
    if is_asset_id(value):
        return str(value)
    return uploader.upload_image(image_label(value))
