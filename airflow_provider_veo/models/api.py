"""Typed, validated Scenario API answers: every response the provider acts on is parsed into one of these.

Both hooks parse at their boundary (:func:`airflow_provider_veo.hooks.responses.parse`), so the
operator, the trigger, the sensor, the transfer and the unknown-outcome search never walk raw dicts.
Only the fields the provider decides on are required and checked; every other field the API sends is
kept (``extra="allow"``) but never trusted. Names are snake_case in Python and camelCase on the wire.

>>> Job.model_validate({"jobId": "job_1", "status": "in-progress", "progress": 0.4}).progress_percent
40
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from airflow_provider_veo.models.job import JobStatus

#: A Scenario id (``job_...``, ``asset_...``, ``upload_...``): it becomes one URL path segment and
#: part of object names, so only letters, digits, ``.``, ``_`` and ``-`` are accepted.
ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$"

ApiId = Annotated[str, Field(strict=True, pattern=ID_PATTERN)]
NonNegativeNumber = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
FiniteNumber = Annotated[float, Field(strict=True, allow_inf_nan=False)]
UnitInterval = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0)]


class ApiModel(BaseModel):
    """Base of every API answer: camelCase on the wire, unknown fields kept, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
        extra="allow",
        frozen=True,
    )


def _text_or_none(value: Any) -> str | None:
    """Free text the API may send as anything (``error``, ``hint``): kept as text, never trusted."""
    return None if value is None else str(value)


class JobBilling(ApiModel):
    cu_cost: NonNegativeNumber | None = None
    cu_discount: FiniteNumber | None = None


class JobMetadata(ApiModel):
    asset_ids: list[ApiId] = Field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    input: dict[str, Any] | None = None

    _free_text = field_validator("error", "hint", mode="before")(_text_or_none)


class Job(ApiModel):
    """A job (``GET /jobs/{id}``, ``GET /jobs``, ``POST /generate``).

    A listed job may have succeeded without assets (other job types than generations); where the
    provider acts on a success (its own job's read, the trigger's event) at least one asset is
    required (:func:`~airflow_provider_veo.hooks.responses.parse_job`, ``JobEvent``).
    """

    job_id: ApiId
    status: JobStatus
    progress: UnitInterval = 0.0
    metadata: JobMetadata = Field(default_factory=JobMetadata)
    billing: JobBilling | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _known_status(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a status string")  # not coerced: 1 is no status
        return value

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_object(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def progress_percent(self) -> int:
        """``progress`` (0..1) as a whole percentage."""
        return round(self.progress * 100)

    @property
    def cost(self) -> float | None:
        """Creative units billed for the job (``billing.cuCost``), ``None`` when not reported."""
        return self.billing.cu_cost if self.billing is not None else None

    @property
    def created(self) -> datetime | None:
        """``createdAt`` as an aware UTC datetime; ``None`` when absent, unparsable or without a zone."""
        return parse_timestamp(self.created_at)


class RunModelResponse(ApiModel):
    """The answer to the paid ``POST /generate/custom/{modelId}``."""

    job: Job
    creative_units_cost: NonNegativeNumber | None = None


class CostEstimate(ApiModel):
    """The answer to a dry run (HTTP 269): the estimated cost, no job."""

    creative_units_cost: NonNegativeNumber


class JobsPage(ApiModel):
    """One page of ``GET /jobs``."""

    jobs: list[Job]
    next_pagination_token: str | None = None

    @field_validator("next_pagination_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class AssetProperties(ApiModel):
    size: NonNegativeInt | None = None
    width: NonNegativeNumber | None = None
    height: NonNegativeNumber | None = None
    duration: NonNegativeNumber | None = None


class AssetMetadata(ApiModel):
    parent_job_id: ApiId | None = None
    model_id: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    seed: str | int | None = None
    aspect_ratio: str | None = None


class ScenarioAsset(ApiModel):
    """An asset (``GET /assets/{id}``, ``POST /assets``); its ``url`` is a signed, expiring CDN URL."""

    id: ApiId
    kind: str | None = None
    mime_type: str | None = None
    status: str | None = None
    url: str | None = None
    properties: AssetProperties = Field(default_factory=AssetProperties)
    metadata: AssetMetadata = Field(default_factory=AssetMetadata)

    @field_validator("properties", "metadata", mode="before")
    @classmethod
    def _object_or_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class DownloadUrl(ApiModel):
    """The answer to ``POST /assets/{id}/download``: a freshly signed URL."""

    url: Annotated[str, Field(strict=True, pattern=r"^https?://\S+$")]
    mime_type: str | None = None


class UploadStatus(str, Enum):
    """Statuses of a ``/uploads`` object."""

    PENDING = "pending"
    VALIDATING = "validating"
    VALIDATED = "validated"
    IMPORTED = "imported"
    COMPLETE = "complete"
    FAILED = "failed"

    @property
    def is_done(self) -> bool:
        return self in {UploadStatus.IMPORTED, UploadStatus.COMPLETE}


class UploadPart(ApiModel):
    number: Annotated[int, Field(strict=True, ge=1)]
    url: Annotated[str, Field(strict=True, pattern=r"^https?://\S+$")]


class Upload(ApiModel):
    """A multipart upload (``POST /uploads``, ``GET /uploads/{id}``)."""

    id: ApiId
    status: UploadStatus
    parts: list[UploadPart] = Field(default_factory=list)
    entity_id: ApiId | None = None
    error_message: str | None = None

    _free_text = field_validator("error_message", mode="before")(_text_or_none)


class ModelInfo(ApiModel):
    """A model (``GET /models/{id}``); ``inputs`` describes its parameters."""

    id: str
    inputs: list[dict[str, Any]] = Field(default_factory=list)


def parse_timestamp(text: str | None) -> datetime | None:
    """An ISO 8601 timestamp with a zone as an aware UTC datetime; ``None`` when absent, naive or bad.

    >>> parse_timestamp("2026-11-24T10:00:00.000Z").isoformat()
    '2026-11-24T10:00:00+00:00'
    >>> parse_timestamp("2026-11-24T10:00:00") is None
    True
    """
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """The API's timestamp form: ``2026-11-24T10:00:00.000Z``."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
