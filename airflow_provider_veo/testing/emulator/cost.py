"""Invented creative-unit prices (Scenario's real Veo 3.1 prices are unknown).

cost = duration x (10 CU/s at 720p or 15 CU/s at 1080p, + 5 CU/s with audio); unset inputs take the
model defaults (8 s, 720p, audio on). Example: 8 s, 720p, with audio = 8 x (10 + 5) = 120 CU.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from airflow_provider_veo.models.veo31 import DEFAULT_DURATION, DEFAULT_GENERATE_AUDIO, DEFAULT_RESOLUTION

CU_PER_SECOND: Final[Mapping[str, int]] = {"720p": 10, "1080p": 15}
AUDIO_CU_PER_SECOND: Final = 5
#: The inputs that move the price (``costImpact`` in ``GET /models/{id}``).
COST_INPUTS: Final = frozenset({"duration", "resolution", "generateAudio"})
COST_ACTION: Final = "custom-generation"


def creative_units(body: Mapping[str, Any]) -> int:
    """The cost of a valid Veo 3.1 body, in creative units."""
    duration = int(body.get("duration") or DEFAULT_DURATION)
    resolution = str(body.get("resolution") or DEFAULT_RESOLUTION)
    audio = body.get("generateAudio")
    with_audio = DEFAULT_GENERATE_AUDIO if audio is None else bool(audio)
    return duration * (CU_PER_SECOND[resolution] + (AUDIO_CU_PER_SECOND if with_audio else 0))


def cost_fields(cost: int) -> dict[str, Any]:
    """The cost part of a run-model answer (``creativeUnitsCost``, discount, per-action details)."""
    return {"creativeUnitsCost": cost, "creativeUnitsDiscount": 0, "costDetails": {COST_ACTION: cost}}
