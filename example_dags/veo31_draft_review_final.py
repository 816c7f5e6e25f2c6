"""Draft → human approval → final: pay for the full-quality render only once a person liked a cheap draft.

``draft`` renders a short, low-resolution, silent version of the prompt and ``store_draft`` lands it;
``estimate_final`` prices the final with a dry run (nothing is billed). ``review`` (the standard
provider's ``ApprovalOperator``, Airflow 3.1+) then waits for a person: its page under *Required
actions* links to the draft in the review gallery and shows what the draft cost and what the final
will cost. **Approve** renders the final (1080p, 8 s, with audio) with the same prompt and seed,
stores it and announces it on the ``scenario-videos`` asset alias; **Reject** (also the answer when
nobody responds within ``REVIEW_TIMEOUT``) skips both, and the final is never submitted.

Respond in the UI, or through the REST API:
``PATCH /api/v2/dags/veo31_draft_review_final/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails``
with ``{"chosen_options": ["Approve"]}``. See docs/review-flow.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pendulum
from airflow.providers.common.compat.sdk import conf
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, Param, task

from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.veo31 import MODEL_ID, SEED_MAX
from airflow_provider_veo.models.veo31_family import LITE_MODEL_ID
from airflow_provider_veo.operators.veo31 import Veo31GenerateOperator
from airflow_provider_veo.operators.veo31_parameters import veo31_request
from airflow_provider_veo.plugins.scenario_veo import URL_PREFIX
from airflow_provider_veo.transfers.scenario_assets_to_storage import ScenarioAssetsToStorageOperator

# The draft renders on Veo 3.1 Lite (about a fifth of full 3.1's price), the final on full Veo 3.1.
# Use MODEL_ID for the draft too if your Scenario plan does not offer Lite.
DRAFT_MODEL_ID = LITE_MODEL_ID
FINAL_MODEL_ID = MODEL_ID

# Identical in the draft and the final, so that the final is the draft at full quality.
SHARED = {
    "prompt": "{{ params.prompt }}",
    "negative_prompt": "blurry, low quality, watermark",
    "seed": "{{ params.seed }}",
    "aspect_ratio": "16:9",
}
DRAFT = {"duration": 4, "resolution": "720p", "generate_audio": False}
FINAL = {"duration": 8, "resolution": "1080p", "generate_audio": True}

REVIEW_TIMEOUT = timedelta(days=2)
GALLERY_PATH = f"{URL_PREFIX}/"
"""Where the review gallery plugin (shipped in this package) serves its page on the api-server."""


def describe(settings: dict[str, Any]) -> str:
    """``"8 s, 1080p, with audio"``."""
    audio = "with audio" if settings["generate_audio"] else "no audio"
    return f"{settings['duration']} s, {settings['resolution']}, {audio}"


def gallery_url(dag_id: str, run_id: str) -> str:
    """The review gallery filtered to one DAG run, on this deployment's api-server."""
    base_url = conf.get("api", "base_url", fallback="").rstrip("/")
    return f"{base_url}{GALLERY_PATH}?{urlencode({'dag_id': dag_id, 'run_id': run_id})}"


def creative_units(cost: float | None) -> str:
    return "not reported" if cost is None else f"{cost:g}"


REVIEW_BODY = """\
{% set draft = ti.xcom_pull(task_ids='draft') -%}
{% set final_estimate = ti.xcom_pull(task_ids='estimate_final') -%}
- **Prompt:** {{ params.prompt }}
- **Seed:** {{ params.seed }}

The draft ({{ draft_settings }}) is ready:
[watch it in the review gallery]({{ gallery_url(dag.dag_id, run_id) }})
or open [its job in Scenario]({{ ti.xcom_pull(task_ids='draft', key='job_url') }}).

| Render | Creative units |
| --- | --- |
| Draft, {{ draft_settings }} (spent) | {{ creative_units(draft.cost) }} |
| Final, {{ final_settings }} (dry-run estimate) | {{ creative_units(final_estimate) }} |

**Approve** renders the final with the same prompt and seed, and stores it.
**Reject** ends the run: the final is never submitted.
"""

with DAG(
    dag_id="veo31_draft_review_final",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["veo", "scenario", "example", "review"],
    params={
        "prompt": Param(
            "A lighthouse on a cliff during a storm, waves crashing, cinematic drone shot",
            type="string",
            minLength=1,
        ),
        "seed": Param(42, type="integer", minimum=0, maximum=SEED_MAX),
        "destination": Param("file:///tmp/veo-videos", type="string", description="Where videos land."),
    },
    user_defined_macros={
        "gallery_url": gallery_url,
        "creative_units": creative_units,
        "draft_settings": describe(DRAFT),
        "final_settings": describe(FINAL),
    },
):
    draft = Veo31GenerateOperator(
        task_id="draft",
        model_id=DRAFT_MODEL_ID,
        **SHARED,
        **DRAFT,
        deferrable=True,
        poll_interval=2.0,
    )
    store_draft = ScenarioAssetsToStorageOperator(
        task_id="store_draft",
        job_id=draft.output["job_id"],
        destination="{{ params.destination }}",
        object_name="{{ dag.dag_id }}/{{ run_id }}/draft/{asset_id}.mp4",
    )

    @task
    def estimate_final(shared: dict[str, Any]) -> float:
        """What the final will cost, from a dry run of its exact request (nothing is billed)."""
        body = veo31_request({**shared, **FINAL}).to_api_body()
        return ScenarioHook().estimate_cost(FINAL_MODEL_ID, body)

    review = ApprovalOperator(
        task_id="review",
        subject='Render the full-quality video of "{{ params.prompt }}"?',
        body=REVIEW_BODY,
        defaults=ApprovalOperator.REJECT,
        response_timeout=REVIEW_TIMEOUT,
    )
    final = Veo31GenerateOperator(
        task_id="final",
        model_id=FINAL_MODEL_ID,
        **SHARED,
        **FINAL,
        deferrable=True,
        poll_interval=2.0,
        max_creative_units=500,
    )
    store_final = ScenarioAssetsToStorageOperator(
        task_id="store_final",
        job_id=final.output["job_id"],
        destination="{{ params.destination }}",
        object_name="{{ dag.dag_id }}/{{ run_id }}/final/{asset_id}.mp4",
    )

    draft >> store_draft >> review
    estimate_final(SHARED) >> review >> final >> store_final
