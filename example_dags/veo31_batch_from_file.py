"""A batch of videos from a file of prompts: one mapped generation per row, a manifest at the end.

``prompts_file`` is a JSON Lines (``.jsonl``) or CSV file in any object storage (``s3://``,
``gs://``, ``abfs://``, ``file://``). Each row has a ``prompt`` and may set any of ``negative_prompt``,
``duration``, ``resolution``, ``aspect_ratio``, ``generate_audio``, ``seed`` and ``model_id``::

    {"prompt": "a red fox in the snow", "seed": 1}
    {"prompt": "a lighthouse at dawn", "duration": 4, "model_id": "model_veo3-1-fast"}

The rows become ``Veo31GenerateOperator`` arguments with ``.expand_kwargs()``; each video lands with
``ScenarioAssetsToStorageOperator.partial(...).expand(job=generate.output)``, and ``manifest.jsonl``
lists every video, its sidecar and its cost.

**Money.** ``check_budget`` dry-runs every row first and refuses the whole batch (nothing submitted)
when the sum is above ``batch_budget``; each generation is also capped by ``max_creative_units``.

**The team's parallel-job ceiling.** Scenario runs at most N jobs of a team at once and answers 429
beyond. Generations run in the pool ``scenario_veo``, sized to N, that counts deferred tasks::

    airflow pools set scenario_veo 10 "Scenario parallel jobs" --include-deferred

A generation that still meets the ceiling (other DAGs, other tools) waits in the triggerer and
submits again (a 429 for the ceiling creates nothing), so a batch larger than N never fails for it.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pendulum
from airflow.sdk import DAG, ObjectStoragePath, Param, task

from airflow_provider_veo.exceptions import CostLimitExceededError, InvalidParameterError
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.veo31 import MODEL_ID
from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.operators.veo31_parameters import veo31_request
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

POOL = "scenario_veo"
ROW_FIELDS = frozenset(
    {
        "prompt",
        "negative_prompt",
        "duration",
        "resolution",
        "aspect_ratio",
        "generate_audio",
        "seed",
        "model_id",
    }
)
MAX_CREATIVE_UNITS_PER_VIDEO = 300


def _rows(path: ObjectStoragePath) -> list[dict[str, Any]]:
    text = path.read_text()
    if path.suffix == ".csv":
        rows: list[dict[str, Any]] = [
            {key: value for key, value in row.items() if value not in (None, "")}
            for row in csv.DictReader(io.StringIO(text))
        ]
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - ROW_FIELDS
        if unknown or "prompt" not in row:
            raise InvalidParameterError(
                f"prompts_file row {number}", row, f"needs a prompt; allowed fields: {sorted(ROW_FIELDS)}"
            )
    return rows


with DAG(
    dag_id="veo31_batch_from_file",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["veo", "scenario", "example", "batch"],
    params={
        "prompts_file": Param("file:///tmp/veo-batch/prompts.jsonl", type="string"),
        "destination": Param("file:///tmp/veo-batch/videos", type="string"),
        "batch_budget": Param(5000, type="number", description="Creative units the whole batch may cost."),
    },
) as dag:

    @task
    def read_rows(prompts_file: str) -> list[dict[str, Any]]:
        return _rows(ObjectStoragePath(prompts_file))

    @task
    def check_budget(rows: list[dict[str, Any]], batch_budget: float) -> float:
        """Dry-run every row (free); refuse the batch before anything is paid when the sum is too high."""
        hook = ScenarioHook()
        total = 0.0
        for row in rows:
            model_id = row.get("model_id", MODEL_ID)
            parameters = {key: value for key, value in row.items() if key != "model_id"}
            body = veo31_request(parameters, model_id=model_id).to_api_body()
            total += hook.estimate_cost(model_id, body)
        if total > float(batch_budget):
            raise CostLimitExceededError(estimate=total, limit=float(batch_budget), model_id="the batch")
        return total

    rows = read_rows("{{ params.prompts_file }}")
    budget = check_budget(rows, "{{ params.batch_budget }}")

    generate = Veo31GenerateOperator.partial(
        task_id="generate",
        deferrable=True,
        pool=POOL,
        max_creative_units=MAX_CREATIVE_UNITS_PER_VIDEO,
        poll_interval=5,
    ).expand_kwargs(rows)

    store = ScenarioAssetsToStorageOperator.partial(
        task_id="store",
        destination="{{ params.destination }}",
    ).expand(job=generate.output)

    @task
    def write_manifest(results: list[dict[str, Any]], stored: list[list[str]], destination: str) -> str:
        """``manifest.jsonl``: every video, its sidecar, its job and its cost, in row order."""
        lines = []
        for result, uris in zip(results, stored, strict=True):
            for uri in uris:
                entry = {
                    "video": uri,
                    "sidecar": f"{uri}.json",
                    "job_id": result["job_id"],
                    "cost": result["cost"],
                }
                lines.append(json.dumps(entry))
        manifest = ObjectStoragePath(destination) / "manifest.jsonl"
        manifest.write_text("\n".join(lines) + "\n")
        return str(manifest)

    budget >> generate
    write_manifest(generate.output, store.output, "{{ params.destination }}")
