"""Emulated assets: generated videos, uploaded images and videos, synthetic benchmark videos."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_provider_veo.models.job import JobStatus
from airflow_provider_veo.testing.emulator.clock import iso
from airflow_provider_veo.testing.emulator.contents import Content
from airflow_provider_veo.testing.emulator.jobs import JobRecord


@dataclass
class AssetRecord:
    """An asset; ``source`` is also its ``metadata.type`` (``txt2video``, ``img2video``, ``uploaded``...)."""

    asset_id: str
    kind: str
    source: str
    content: Content
    owner_id: str
    author_id: str
    created_at: float
    metadata: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    #: The job producing this asset: the asset exists once that job succeeded.
    job: JobRecord | None = None

    def exists(self, now: float) -> bool:
        return self.job is None or self.job.status(now) is JobStatus.SUCCESS

    @property
    def updated_at(self) -> float:
        return self.job.ends_at if self.job is not None else self.created_at

    def to_json(self, url: str) -> dict[str, Any]:
        """The asset as ``GET /assets/{assetId}`` returns it (``content.load()`` must have run)."""
        return {
            "id": self.asset_id,
            "authorId": self.author_id,
            "ownerId": self.owner_id,
            "collectionIds": [],
            "editCapabilities": [],
            "kind": self.kind,
            "mimeType": self.content.mime_type,
            "privacy": "private",
            "source": self.source,
            "status": "success",
            "tags": [],
            "url": url,
            "metadata": {"kind": self.kind, "type": self.source, **self.metadata},
            "properties": {"size": self.content.size, **self.properties},
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }
