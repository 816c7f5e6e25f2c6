"""Configuration of the Scenario API emulator.

Every switch here stands for a fact the Scenario reference lists as unknown (see
``docs/emulator.md``); the defaults are the documented-safe readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from airflow_provider_veo.models.veo31 import Veo31Rules
from airflow_provider_veo.testing.emulator.faults import FaultRule

MIB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class EmulatorConfig:
    """How the emulator behaves; every field has a test-friendly default.

    >>> EmulatorConfig(job_duration=0.5, max_parallel_jobs=2).job_duration
    0.5
    """

    #: The credentials :meth:`~ScenarioEmulator.airflow_connection` hands out. Like moto, the emulator
    #: accepts any non-empty Basic-auth key and secret, so users' own connections work unchanged;
    #: with ``strict_credentials`` it accepts only these (and answers 401 otherwise).
    api_key: str = "emulator-key"
    api_secret: str = "emulator-secret"  # noqa: S105 - the emulator's public test credential
    strict_credentials: bool = False
    #: Seconds from submission to ``success``; statuses advance on the wall clock.
    job_duration: float = 2.0
    #: Seeds ids, generation seeds and fractional faults.
    seed: int = 0
    #: Scenario refuses to cancel ``/generate/custom`` jobs today (400); ``True`` lets them be canceled.
    allow_cancel: bool = False
    #: Per-team ceiling of non-terminal jobs; beyond it ``POST /generate`` answers 429. Real value unknown.
    max_parallel_jobs: int | None = None
    #: Whether the parallel-jobs 429 carries ``Retry-After`` (unknown upstream; not sent by default).
    parallel_limit_retry_after: float | None = None
    #: Model ids that answer 403 on ``POST /generate`` (model not in the plan).
    forbidden_models: Sequence[str] = ()
    #: Lifetime of a signed CDN URL in seconds; ``None`` follows Scenario's rolling window (>= 24 h).
    url_ttl: float | None = None
    #: The Veo 3.1 rules whose upstream reading is unsettled.
    rules: Veo31Rules = field(default_factory=Veo31Rules)
    #: Owner of what is created without ``?projectId=``.
    project_id: str = "proj_emulator"
    #: ``authorId`` of everything created.
    author_id: str = "emulatorauthor00000000000000000"
    #: Largest decoded image accepted by ``POST /assets`` (Scenario: "< 6 MB", else use /uploads).
    max_inline_image_bytes: int = 6 * MIB
    #: Smallest part of a multipart upload except the last (S3 rule quoted by Scenario's docs).
    min_part_size: int = 5 * MIB
    #: Seconds a completed upload stays ``validating`` before it is ``imported``.
    upload_import_delay: float = 0.2
    #: Seconds a presigned upload-part URL lives.
    upload_url_ttl: float = 3600.0
    #: Faults active from the start and again after every ``reset()``.
    faults: Sequence[FaultRule] = ()

    def __post_init__(self) -> None:
        if self.job_duration < 0:
            raise ValueError(f"job_duration must be >= 0, got {self.job_duration}")
        if self.max_parallel_jobs is not None and self.max_parallel_jobs < 1:
            raise ValueError(f"max_parallel_jobs must be >= 1 or None, got {self.max_parallel_jobs}")
        if self.url_ttl is not None and self.url_ttl <= 0:
            raise ValueError(f"url_ttl must be > 0 or None, got {self.url_ttl}")
        object.__setattr__(self, "forbidden_models", tuple(self.forbidden_models))
        object.__setattr__(self, "faults", tuple(self.faults))
