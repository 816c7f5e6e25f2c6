"""Invented creative-unit prices, one line per model (Scenario's real Veo prices are unknown).

Only the relations are taken from the family reference: Lite costs about a fifth of full 3.1, Fast
sits between them, audio costs extra, and one Extend call costs more than a fresh full generation.

cost = seconds x (CU per second at the resolution + audio CU per second when ``generateAudio``);
unset inputs take the model's defaults (``with_defaults``: 8 s, 720p, audio on); an Extend call
renders :data:`EXTEND_SECONDS`. With the defaults: full 3.1 = 8 x (10 + 5) = 120 CU, Fast = 48,
Lite = 24, one Extend call = 7 x (20 + 5) = 175.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from airflow_provider_veo.models.veo31 import with_defaults
from airflow_provider_veo.models.veo31_family import (
    EXTEND_MODEL_ID,
    EXTEND_SECONDS,
    FAST_MODEL_ID,
    LITE_MODEL_ID,
    MODEL_ID,
    Veo31Spec,
)


@dataclass(frozen=True)
class Price:
    """Creative units per second of video, by resolution, and per second of audio."""

    per_second: Mapping[str, int]
    audio_per_second: int


PRICES: Final[Mapping[str, Price]] = {
    MODEL_ID: Price({"720p": 10, "1080p": 15}, 5),
    FAST_MODEL_ID: Price({"720p": 4, "1080p": 5}, 2),
    LITE_MODEL_ID: Price({"720p": 2, "1080p": 3}, 1),
    EXTEND_MODEL_ID: Price({"720p": 20}, 5),  # no resolution input: priced at one rate
}
#: The inputs that move the price (``costImpact`` in ``GET /models/{id}``).
COST_INPUTS: Final = frozenset({"duration", "resolution", "generateAudio"})
COST_ACTION: Final = "custom-generation"


def creative_units(spec: Veo31Spec, body: Mapping[str, Any]) -> int:
    """The cost of a valid body for ``spec``'s model, in creative units."""
    price = PRICES[spec.model_id]
    effective = with_defaults(body, spec)
    seconds = int(effective.get("duration", EXTEND_SECONDS))
    per_second = price.per_second[effective.get("resolution", "720p")]
    audio = price.audio_per_second if effective["generateAudio"] else 0
    return seconds * (per_second + audio)


def cost_fields(cost: int) -> dict[str, Any]:
    """The cost part of a run-model answer (``creativeUnitsCost``, discount, per-action details)."""
    return {"creativeUnitsCost": cost, "creativeUnitsDiscount": 0, "costDetails": {COST_ACTION: cost}}
