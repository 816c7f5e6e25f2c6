"""Copy generated Scenario assets (Veo videos) to object storage, once, atomically, in bounded memory."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, Literal

from airflow.sdk import Asset, AssetAlias, BaseOperator, ObjectStoragePath

from airflow_provider_veo._compat import get_hook_lineage_collector
from airflow_provider_veo.exceptions import (
    AssetTransferError,
    DestinationExistsError,
    InvalidParameterError,
    ScenarioError,
    ScenarioNotFoundError,
    allowed_values,
)
from airflow_provider_veo.hooks.scenario import ScenarioHook
from airflow_provider_veo.models.api import Job, ScenarioAsset
from airflow_provider_veo.transfers.asset_ids import job_asset_ids, job_id_of, parse_asset_ids
from airflow_provider_veo.transfers.concurrency import WorkerResources, run_all
from airflow_provider_veo.transfers.object_names import (
    destination_path,
    public_uri,
    render_object_name,
    safe_id,
)
from airflow_provider_veo.transfers.sidecar import build_sidecar, encode, read_sidecar, sidecar_path
from airflow_provider_veo.transfers.staging import StagedObject, write_atomically
from airflow_provider_veo.transfers.streaming import DownloadPolicy, download

if TYPE_CHECKING:
    from airflow.sdk import Context

MIB: Final = 1024 * 1024
#: S3 refuses multipart parts under 5 MiB; the writer's block is never smaller.
MIN_BLOCK_SIZE: Final = 5 * MIB
#: ``<dag>/<run>/<job>/<asset>.mp4``; the run id's ``:`` and ``+`` (``manual__2026-11-29T23:07:31+00:00``)
#: become ``-`` and ``_``, which every store and file system takes in a name.
DEFAULT_OBJECT_NAME: Final = (
    "{{ dag.dag_id }}/{{ run_id | replace(':', '-') | replace('+', '_') }}/{job_id}/{asset_id}.mp4"
)
DEFAULT_ASSET_ALIAS: Final = "scenario-videos"


class IfExists(str, Enum):
    """What to do when an object already exists at the destination name."""

    SKIP_IF_IDENTICAL = "skip_if_identical"
    OVERWRITE = "overwrite"
    FAIL = "fail"


@dataclass(frozen=True)
class _Plan:
    """One asset to copy: its metadata and where it goes."""

    asset_id: str
    asset: ScenarioAsset
    job_id: str | None
    job: Job | None
    final: ObjectStoragePath
    uri: str

    @property
    def expected_size(self) -> int | None:
        return self.asset.properties.size


@dataclass(frozen=True)
class _Outcome:
    """One asset at its destination, written now or found identical."""

    plan: _Plan
    sha256: str | None
    size: int
    written: bool


class ScenarioAssetsToStorageOperator(BaseOperator):
    """Copy the videos of a Scenario job to object storage, each with a JSON provenance sidecar.

    Each asset is streamed from a freshly signed CDN URL and becomes visible under its final name
    only once complete and checked (size, sha256): an S3/GCS/Azure upload is committed at the end
    (aborted on failure), a local file is renamed from a hidden temporary name. Expired URLs and
    broken downloads are resumed with a new URL (``Range`` requests), in bounded memory.
    Returns the destination URIs (``s3://bucket/key``, without connection id) and emits one asset
    event per video on the ``asset_alias`` alias.

    .. code-block:: python

        store = ScenarioAssetsToStorageOperator(
            task_id="store",
            job=generate.output,  # the result of a Veo31GenerateOperator upstream
            destination="s3://my-bucket/veo/",
            dest_conn_id="aws_default",
        )

    Mapped, one store per generated video: ``ScenarioAssetsToStorageOperator.partial(task_id="store",
    destination=...).expand(job=generate.output)`` (``generate`` mapped with ``.partial().expand()``
    or ``.expand_kwargs()``).

    :param job: the result of a generate task (templated; e.g. ``generate.output``, mapped or not):
        a mapping with ``job_id`` (and ``asset_ids``), as :class:`Veo31GenerateOperator` returns.
        Use it instead of ``job_id``.
    :param asset_ids: asset ids to copy (templated): a list, one id, or a rendered list literal.
        When omitted, the assets of ``job_id`` (``metadata.assetIds``) are copied.
    :param job_id: the Scenario job (templated). Needed when ``asset_ids`` is omitted; otherwise the
        job of each asset is its ``metadata.parentJobId``. The job gives the sidecar its parameters
        and cost and fills ``{job_id}`` in ``object_name``.
    :param destination: folder/prefix URI understood by ``ObjectStoragePath`` (``s3://``, ``gs://``,
        ``abfs://``, ``file://``), templated.
    :param dest_conn_id: Airflow connection of the destination (e.g. ``aws_default``), templated.
    :param object_name: name under ``destination``, templated with Jinja, then ``{job_id}`` and
        ``{asset_id}`` are filled per asset. It may not leave ``destination`` (no ``..``, no root).
    :param if_exists: ``skip_if_identical`` (default): keep an existing object whose sidecar records
        the same asset id and sha256 and whose size matches; ``overwrite``: always write;
        ``fail``: raise :class:`DestinationExistsError` before downloading anything.
    :param write_sidecar: write ``<object name>.json`` with the provenance of each video.
    :param max_concurrency: assets copied at the same time (threads).
    :param chunk_size: bytes read and written at a time; memory is about
        ``max_concurrency * 2 * max(chunk_size, 5 MiB)``, whatever the video size.
    :param max_attempts: download attempts per asset, each with a freshly signed URL.
    :param asset_alias: name of the :class:`AssetAlias` added to ``outlets`` and fed with one
        ``Asset(uri)`` event per video; ``None`` emits no events.
    :param chain: the ``chain`` of a ``Veo31ExtendOperator`` result (templated), written into every
        sidecar of this transfer so the landed video records how it was made.
    :param scenario_conn_id: the Scenario connection.
    :param project_id: Scenario project id; overrides the connection's.
    """

    template_fields: Sequence[str] = (
        "job",
        "asset_ids",
        "job_id",
        "destination",
        "dest_conn_id",
        "object_name",
        "project_id",
        "chain",
    )
    ui_color = "#c9e7f5"

    def __init__(
        self,
        *,
        job: Mapping[str, Any] | str | None = None,
        asset_ids: list[str] | str | None = None,
        job_id: str | None = None,
        destination: str,
        dest_conn_id: str | None = None,
        object_name: str = DEFAULT_OBJECT_NAME,
        if_exists: Literal["skip_if_identical", "overwrite", "fail"] | IfExists = IfExists.SKIP_IF_IDENTICAL,
        write_sidecar: bool = True,
        max_concurrency: int = 4,
        chunk_size: int = 8 * MIB,
        max_attempts: int = 5,
        asset_alias: str | None = DEFAULT_ASSET_ALIAS,
        chain: dict[str, Any] | None = None,
        scenario_conn_id: str = ScenarioHook.default_conn_name,
        project_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if asset_ids is None and job_id is None and job is None:
            raise InvalidParameterError(
                "job", None, "pass job (a generate task's result), job_id or asset_ids"
            )
        try:
            self.if_exists = IfExists(if_exists)
        except ValueError:
            raise InvalidParameterError(
                "if_exists", if_exists, allowed_values(m.value for m in IfExists)
            ) from None
        _require_positive("max_concurrency", max_concurrency)
        _require_positive("chunk_size", chunk_size)
        _require_positive("max_attempts", max_attempts)
        self.job = job
        self.asset_ids = asset_ids
        self.job_id = job_id
        self.destination = destination
        self.dest_conn_id = dest_conn_id
        self.object_name = object_name
        self.write_sidecar = write_sidecar
        self.max_concurrency = max_concurrency
        self.chunk_size = chunk_size
        self.max_attempts = max_attempts
        self.asset_alias = asset_alias
        self.chain = chain
        self.scenario_conn_id = scenario_conn_id
        self.project_id = project_id
        self._cancelled: threading.Event | None = None
        if asset_alias:
            self.add_outlets([AssetAlias(asset_alias)])

    @cached_property
    def hook(self) -> ScenarioHook:
        return self._make_hook()

    def _make_hook(self) -> ScenarioHook:
        return ScenarioHook(scenario_conn_id=self.scenario_conn_id, project_id=self.project_id)

    # --- execution ----------------------------------------------------------------------------------

    def execute(self, context: Context) -> list[str]:
        self._cancelled = threading.Event()
        job_id = self.job_id or job_id_of(self.job)
        job = self.hook.get_job(job_id) if job_id else None
        asset_ids = parse_asset_ids(self.asset_ids) or job_asset_ids(job)
        for asset_id in asset_ids:
            safe_id(asset_id, what="asset id")  # before it reaches an API path or an object name
        prefix = ObjectStoragePath(self.destination, conn_id=self.dest_conn_id or None)

        resources = WorkerResources(self._make_hook)
        try:
            with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="scenario-transfer") as pool:
                assets = list(pool.map(lambda asset_id: resources.hook().get_asset(asset_id), asset_ids))
                plans = self._plan(asset_ids, assets, job_id, job, prefix)
                if self.if_exists is IfExists.FAIL:
                    _fail_if_any_exists(plans)
                outcomes = run_all(pool, plans, lambda plan: self._copy(plan, resources))
        finally:
            resources.close()

        written = sum(outcome.written for outcome in outcomes)
        self.log.info(
            "%d asset(s) at %s: %d written, %d already identical.",
            len(outcomes),
            public_uri(prefix),
            written,
            len(outcomes) - written,
        )
        self._emit_asset_events(context, outcomes)
        return [outcome.plan.uri for outcome in outcomes]

    def on_kill(self) -> None:
        # Running downloads stop at their next chunk; their uploads are aborted, nothing is published.
        if self._cancelled is not None:
            self._cancelled.set()

    def _plan(
        self,
        asset_ids: list[str],
        assets: list[ScenarioAsset],
        job_id: str | None,
        job: Job | None,
        prefix: ObjectStoragePath,
    ) -> list[_Plan]:
        jobs: dict[str, Job | None] = {job_id: job} if job_id else {}
        plans = []
        for asset_id, asset in zip(asset_ids, assets, strict=True):
            parent_id = job_id or asset.metadata.parent_job_id
            if parent_id is not None and parent_id not in jobs:
                jobs[parent_id] = self._parent_job(parent_id)
            name = render_object_name(self.object_name, job_id=parent_id, asset_id=asset_id)
            final = destination_path(prefix, name)
            plans.append(
                _Plan(
                    asset_id=asset_id,
                    asset=asset,
                    job_id=parent_id,
                    job=jobs.get(parent_id) if parent_id else None,
                    final=final,
                    uri=public_uri(final),
                )
            )
        clashes = [uri for uri, count in Counter(plan.uri for plan in plans).items() if count > 1]
        if clashes:
            raise AssetTransferError(
                f"Several assets would be written to the same object: {', '.join(clashes)}. "
                "Put {asset_id} in object_name."
            )
        return plans

    def _parent_job(self, job_id: str) -> Job | None:
        try:
            return self.hook.get_job(job_id)
        except ScenarioNotFoundError:
            self.log.warning(
                "Job %s of the asset is not visible; its sidecar has no parameters or cost.", job_id
            )
            return None

    def _copy(self, plan: _Plan, resources: WorkerResources) -> _Outcome:
        try:
            return self._copy_or_skip(plan, resources)
        except ScenarioError:
            raise
        except Exception as error:
            # Storage errors (disk full, S3 access denied, ...): name the asset and the object.
            raise AssetTransferError(
                f"Asset {plan.asset_id}: writing to {plan.uri} failed ({type(error).__name__}: {error})."
            ) from error

    def _copy_or_skip(self, plan: _Plan, resources: WorkerResources) -> _Outcome:
        if self.if_exists is IfExists.SKIP_IF_IDENTICAL:
            identical = self._identical(plan)
            if identical is not None:
                self.log.info(
                    "Asset %s: %s is already there and identical; skipped.", plan.asset_id, plan.uri
                )
                return identical

        hook = resources.hook()
        block_size = max(self.chunk_size, MIN_BLOCK_SIZE)
        with StagedObject(plan.final, block_size=block_size) as staged:
            result = download(
                session=resources.cdn_session(),
                fresh_url=lambda: hook.get_download_url(plan.asset_id),
                sink=staged,
                expected_size=plan.expected_size,
                label=plan.asset_id,
                policy=DownloadPolicy(chunk_size=self.chunk_size, max_attempts=self.max_attempts),
                cancelled=self._cancelled,
            )
            staged.publish()
        get_hook_lineage_collector().add_output_asset(context=plan.final, uri=plan.uri)

        if self.write_sidecar:
            sidecar = sidecar_path(plan.final)
            record = build_sidecar(
                asset=plan.asset,
                job=plan.job,
                job_id=plan.job_id,
                uri=plan.uri,
                sha256=result.sha256,
                size=result.size,
                transferred_at=datetime.now(timezone.utc).isoformat(),
                chain=self.chain or None,
            )
            write_atomically(sidecar, encode(record))
            get_hook_lineage_collector().add_output_asset(context=sidecar, uri=public_uri(sidecar))
        self.log.info(
            "Asset %s: %d bytes written to %s (sha256 %s).",
            plan.asset_id,
            result.size,
            plan.uri,
            result.sha256,
        )
        return _Outcome(plan=plan, sha256=result.sha256, size=result.size, written=True)

    def _identical(self, plan: _Plan) -> _Outcome | None:
        """The existing object, if it provably holds this asset; ``None`` means copy it (again).

        Compared: the object's size with the API's ``properties.size``; and, from the sidecar, the
        asset id, the size and the presence of a sha256. The sha256 is not recomputed (that would
        read the whole object back): the sidecar is only written after the video was published
        whole, so its presence vouches for the video. Without ``write_sidecar`` only the size is
        compared.
        """
        fs: Any = plan.final.fs  # fsspec is untyped
        fs.invalidate_cache(plan.final.path)
        try:
            size = int(fs.size(plan.final.path))
        except FileNotFoundError:
            return None
        if plan.expected_size is not None and size != plan.expected_size:
            return None
        record = read_sidecar(sidecar_path(plan.final))
        if record is None:
            if self.write_sidecar or plan.expected_size is None:
                return None
            return _Outcome(plan=plan, sha256=None, size=size, written=False)
        if record.get("asset_id") != plan.asset_id or record.get("size") != size or not record.get("sha256"):
            return None
        return _Outcome(plan=plan, sha256=str(record["sha256"]), size=size, written=False)

    def _emit_asset_events(self, context: Context, outcomes: list[_Outcome]) -> None:
        """One event per video, skipped ones included.

        Events are only sent when the task succeeds, so a video written by a failed earlier try and
        skipped now would otherwise never be announced. Consumers see ``written`` in the extra.
        """
        if not self.asset_alias:
            return
        events = context["outlet_events"][AssetAlias(self.asset_alias)]
        for outcome in outcomes:
            events.add(
                Asset(outcome.plan.uri),
                extra={
                    "job_id": outcome.plan.job_id,
                    "asset_id": outcome.plan.asset_id,
                    "sha256": outcome.sha256,
                    "size": outcome.size,
                    "written": outcome.written,
                },
            )


def _fail_if_any_exists(plans: list[_Plan]) -> None:
    existing = []
    for plan in plans:
        fs: Any = plan.final.fs  # fsspec is untyped
        fs.invalidate_cache(plan.final.path)
        if plan.final.exists():
            existing.append(plan.uri)
    if existing:
        raise DestinationExistsError(
            f"if_exists='fail' and these objects exist: {', '.join(existing)}. Nothing was downloaded."
        )


def _require_positive(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise InvalidParameterError(name, value, "a positive integer")
