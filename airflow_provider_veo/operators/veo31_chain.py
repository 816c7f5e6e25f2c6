"""The state of an Extend chain, without I/O: what each step asks, the job it created, what it made.

Each step is recorded in the task state store under its own key (:func:`step_key`) with a fingerprint
of everything that decides its video (the chain's source, the prompts up to this step, audio and
seed), so a retry resumes at the step where the chain stopped and pays for no step twice, while a
changed later prompt leaves the earlier steps' videos in place.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

from airflow_provider_veo.exceptions import InvalidParameterError
from airflow_provider_veo.models.veo31_family import EXTEND_MODEL_ID
from airflow_provider_veo.operators.image_inputs import is_asset_id

STEP_KEY_PREFIX: Final = "scenario_veo31_extend_step_"


def step_key(step: int) -> str:
    """``task_state_store`` key of step ``step`` (1-based); renaming it breaks resuming chains."""
    return f"{STEP_KEY_PREFIX}{step}"


def source_asset_id(source: object) -> str:
    """The video a chain starts from: an asset id, or the result of a generate or extend task (its
    last ``asset_ids`` entry: the generated video, or the newest part of an extended one).

    >>> source_asset_id({"job_id": "job_1", "asset_ids": ["asset_v"]})
    'asset_v'
    """
    if isinstance(source, Mapping):
        asset_ids = source.get("asset_ids")
        if isinstance(asset_ids, list) and asset_ids and is_asset_id(asset_ids[-1]):
            return str(asset_ids[-1])
    elif is_asset_id(source):
        return str(source)
    raise InvalidParameterError(
        "source", source, "must be a video asset id (asset_...) or the result of a Veo generate/extend task"
    )


def chain_prompts(
    prompts: object, prompt: object, extensions: object, *, max_extensions: int
) -> list[str | None]:
    """One prompt per step: ``prompts`` as given, or ``prompt`` repeated ``extensions`` times.

    >>> chain_prompts(None, "the fox runs on", "3", max_extensions=20)
    ['the fox runs on', 'the fox runs on', 'the fox runs on']
    """
    if prompts is not None:
        if prompt is not None or extensions is not None:
            raise InvalidParameterError(
                "prompts", prompts, "pass prompts, or prompt and extensions, not both"
            )
        if not isinstance(prompts, (list, tuple)) or not all(
            p is None or isinstance(p, str) for p in prompts
        ):
            raise InvalidParameterError("prompts", prompts, "must be a list of prompts (strings)")
        steps = list(prompts)
    else:
        count = (
            int(extensions) if isinstance(extensions, str) and extensions.strip().isdigit() else extensions
        )
        if isinstance(count, bool) or not isinstance(count, int):
            raise InvalidParameterError("extensions", extensions, "must be a whole number of Extend steps")
        if prompt is not None and not isinstance(prompt, str):
            raise InvalidParameterError("prompt", prompt, "must be a string")
        steps = [prompt] * count
    if not 1 <= len(steps) <= max_extensions:
        name = "prompts" if prompts is not None else "extensions"
        raise InvalidParameterError(
            name, prompts if prompts is not None else extensions, f"must make 1 to {max_extensions} steps"
        )
    return steps


def step_fingerprint(
    *, source: str, prompts: Sequence[str | None], step: int, generate_audio: bool, seed: int | None
) -> str:
    """SHA-256 of what decides step ``step``'s video."""
    text = json.dumps(
        {
            "model_id": EXTEND_MODEL_ID,
            "source": source,
            "prompts": list(prompts[:step]),
            "generate_audio": generate_audio,
            "seed": seed,
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class StepRecord:
    """One step as recorded: the attempt (``submitted_at``, ``body``) before the paid call, then its
    ``job_id`` (and the billed ``cost``), then its video's ``asset_id`` once the job succeeded."""

    fingerprint: str
    source_asset_id: str
    prompt: str | None
    job_id: str | None = None
    submitted_at: str | None = None
    body: dict[str, Any] | None = None
    asset_id: str | None = None
    cost: float | None = None

    def to_store(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_store(cls, value: object, fingerprint: str) -> StepRecord | None:
        """The record, or ``None`` when absent, unreadable or made for other parameters."""
        if not isinstance(value, Mapping) or value.get("fingerprint") != fingerprint:
            return None
        try:
            return cls(**{key: value.get(key) for key in cls.__dataclass_fields__})  # type: ignore[arg-type]
        except TypeError:
            return None


def matching_jobs(
    jobs: Iterable[Mapping[str, Any]], body: Mapping[str, Any], *, since: datetime, until: datetime
) -> list[str]:
    """Ids of the jobs created within ``[since, until]`` whose ``metadata.input`` holds every field of
    ``body``: the candidates for a submission whose outcome was unknown. Both time bounds are checked
    here, whatever the server did with its ``createdAfter`` filter; a job without a readable
    ``createdAt`` is no candidate."""
    found = []
    for job in jobs:
        metadata = job.get("metadata")
        job_input = metadata.get("input") if isinstance(metadata, Mapping) else None
        created = _parse_utc(job.get("createdAt"))
        if created is None or not since <= created <= until or not isinstance(job_input, Mapping):
            continue
        if all(job_input.get(key) == value for key, value in body.items()):
            found.append(str(job.get("jobId")))
    return found


def _parse_utc(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
