"""Invented creative-unit prices (Scenario's real Veo 3.1 prices are unknown).

cost = duration x (10 CU/s at 720p or 15 CU/s at 1080p, + 5 CU/s with audio); unset inputs take the
model defaults (``with_defaults``: 8 s, 720p, audio on). Example: 8 s, 720p, with audio = 8 x (10 + 5)
= 120 CU.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from airflow_provider_veo.models.veo31 import with_defaults

CU_PER_SECOND: Final[Mapping[str, int]] = {"720p": 10, "1080p": 15}
AUDIO_CU_PER_SECOND: Final = 5
#: The inputs that move the price (``costImpact`` in ``GET /models/{id}``).
COST_INPUTS: Final = frozenset({"duration", "resolution", "generateAudio"})
COST_ACTION: Final = "custom-generation"


def creative_units(body: Mapping[str, Any]) -> int:
    """The cost of a valid Veo 3.1 body, in creative units."""
    effective = with_defaults(body)
    audio = AUDIO_CU_PER_SECOND if effective["generateAudio"] else 0
    return int(effective["duration"]) * (CU_PER_SECOND[effective["resolution"]] + audio)


def cost_fields(cost: int) -> dict[str, Any]:
    """The cost part of a run-model answer (``creativeUnitsCost``, discount, per-action details)."""
    return {"creativeUnitsCost": cost, "creativeUnitsDiscount": 0, "costDetails": {COST_ACTION: cost}}
