"""Emulated multipart uploads (``POST /uploads`` -> PUT parts -> complete -> ``imported``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_provider_veo.testing.emulator.clock import iso


@dataclass
class UploadRecord:
    upload_id: str
    file_name: str
    content_type: str
    kind: str
    file_size: int
    parts_count: int
    owner_id: str
    author_id: str
    created_at: float
    parts: dict[int, bytes] = field(default_factory=dict, repr=False)
    completed_at: float | None = None
    asset_id: str | None = None
    error: str | None = None

    def status(self, now: float, import_delay: float) -> str:
        if self.completed_at is None:
            return "pending"
        if self.error is not None:
            return "failed"
        if now < self.completed_at + import_delay:
            return "validating"
        return "imported"

    def to_json(
        self, now: float, import_delay: float, parts: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        status = self.status(now, import_delay)
        updated = self.created_at if self.completed_at is None else self.completed_at
        if status == "imported" and self.completed_at is not None:
            updated = self.completed_at + import_delay
        body: dict[str, Any] = {
            "id": self.upload_id,
            "authorId": self.author_id,
            "ownerId": self.owner_id,
            "fileName": self.file_name,
            "originalFileName": self.file_name,
            "contentType": self.content_type,
            "fileSize": self.file_size,
            "kind": self.kind,
            "partsCount": self.parts_count,
            "source": "multipart",
            "status": status,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(updated),
        }
        if status == "imported":
            body["entityId"] = self.asset_id
        if self.error is not None:
            body["errorMessage"] = self.error
        if parts is not None:
            body["parts"] = parts
        return body
