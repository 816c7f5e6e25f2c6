"""A fast, blocking Veo31GenerateOperator for tests; keyword arguments override the defaults."""

from __future__ import annotations

from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator


def generate(**kwargs: object) -> Veo31GenerateOperator:
    params: dict[str, object] = {
        "task_id": "generate",
        "prompt": "a fox in the snow, cinematic",
        "duration": 4,
        "poll_interval": 0.1,
        "deferrable": False,
    }
    params.update(kwargs)
    return Veo31GenerateOperator(**params)  # type: ignore[arg-type]
