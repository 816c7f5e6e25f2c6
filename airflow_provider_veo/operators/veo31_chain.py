"""The state of an Extend chain, without I/O: what each step asks, the job it created, what it made.

Each step is recorded in the task state store under its own key (:func:`step_key`) with a fingerprint
of everything that decides its video (the chain's source, the prompts up to this step, audio and
seed), so a retry resumes at the step where the chain stopped and pays for no step twice, while a
changed later prompt leaves the earlier steps' videos in place.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from airflow_provider_veo.exceptions import InvalidParameterError
from airflow_provider_veo.models.api import ApiId
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


class StepResult(BaseModel):
    """A finished step as recorded (under :func:`done_key`): where it started, what it made, its cost.

    The step's paid submission itself is recorded by
    :class:`~airflow_provider_veo.operators.paid_submission.PaidSubmission` under :func:`step_key`.
    """

    model_config = ConfigDict(frozen=True)

    fingerprint: str
    source_asset_id: str
    prompt: str | None
    job_id: ApiId
    asset_id: ApiId
    cost: float | None = None

    def to_store(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_store(cls, value: object, fingerprint: str) -> StepResult | None:
        """The result, or ``None`` when absent, unreadable or made for other parameters."""
        try:
            result = cls.model_validate(value)
        except ValidationError:
            return None
        return result if result.fingerprint == fingerprint else None


def done_key(step: int) -> str:
    """``task_state_store`` key of step ``step``'s result, once its video is ready."""
    return f"{step_key(step)}_done"
