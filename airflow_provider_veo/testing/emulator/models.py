"""``GET /models/{id}`` for each Veo 3.1 family member: its ``inputs[]`` derived from the shared rules."""

from __future__ import annotations

from typing import Any

from airflow_provider_veo.models.veo31_family import Veo31Spec, model_inputs
from airflow_provider_veo.testing.emulator.clock import iso
from airflow_provider_veo.testing.emulator.cost import COST_INPUTS, creative_units

_PUBLISHED = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def model_json(spec: Veo31Spec, job_duration: float, *, now: float) -> dict[str, Any]:
    """The model; ``performanceStats`` reflect the emulator's own latency and default cost."""
    inputs = [{**item, "costImpact": item["name"] in COST_INPUTS} for item in model_inputs(spec)]
    return {
        "id": spec.model_id,
        "name": spec.name,
        "shortDescription": spec.description,
        "type": "custom",
        "source": "other",
        "status": "trained",
        "privacy": "public",
        "custom": False,
        "capabilities": list(spec.capabilities),
        "collectionIds": [],
        "exampleAssetIds": [],
        "tags": [],
        "trainingImagesNumber": 0,
        "inputs": inputs,
        "performanceStats": {
            "variants": [
                {
                    "variantKey": "default",
                    "capability": spec.capabilities[0],
                    "computedAt": iso(now),
                    "costPerAssetP50CU": creative_units(spec, {}),
                    "totalLatencyP50Sec": job_duration,
                    "totalLatencyP75Sec": job_duration,
                }
            ]
        },
        "createdAt": iso(_PUBLISHED),
        "updatedAt": iso(_PUBLISHED),
    }
