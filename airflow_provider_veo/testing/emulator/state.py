"""Everything the emulator knows: jobs, assets, uploads, faults, counters; and what each route does.

The HTTP handlers and the Python handle (:class:`~airflow_provider_veo.testing.ScenarioEmulator`)
call the same methods here. Methods are synchronous and O(1) per request apart from listing
(:mod:`.job_listing`) and the parallel-jobs count; a re-entrant lock makes calls from the test thread
safe.
"""

from __future__ import annotations

import base64
import binascii
import random
import string
import threading
from collections import Counter, deque
from collections.abc import Mapping
from typing import Any, Final

from airflow_provider_veo.exceptions import InvalidParameterError
from airflow_provider_veo.models.veo31 import (
    DEFAULT_DURATION,
    FRAME_RATE,
    asset_refs_in,
    frame_size,
    validate_api_body,
    with_defaults,
)
from airflow_provider_veo.models.veo31_family import (
    ASSET_FIELDS,
    EXTEND_SECONDS,
    EXTEND_SOURCE_SIZES,
    VEO31_EXTEND,
    VEO31_FAMILY,
    Veo31Spec,
)
from airflow_provider_veo.testing.emulator import route_keys
from airflow_provider_veo.testing.emulator.assets import AssetRecord
from airflow_provider_veo.testing.emulator.clock import iso
from airflow_provider_veo.testing.emulator.config import EmulatorConfig
from airflow_provider_veo.testing.emulator.contents import (
    BytesContent,
    Content,
    GeneratedVideo,
    SyntheticVideo,
)
from airflow_provider_veo.testing.emulator.cost import cost_fields, creative_units
from airflow_provider_veo.testing.emulator.errors import ApiError
from airflow_provider_veo.testing.emulator.faults import FaultBook
from airflow_provider_veo.testing.emulator.images import make_png, sniff_image
from airflow_provider_veo.testing.emulator.job_listing import list_jobs
from airflow_provider_veo.testing.emulator.jobs import JobFailure, JobRecord
from airflow_provider_veo.testing.emulator.media import SYNTHETIC_DURATION, SYNTHETIC_HEIGHT, SYNTHETIC_WIDTH
from airflow_provider_veo.testing.emulator.models import model_json
from airflow_provider_veo.testing.emulator.ownership import visible_to
from airflow_provider_veo.testing.emulator.signing import UrlSigner
from airflow_provider_veo.testing.emulator.uploads import UploadRecord

DRY_RUN_STATUS: Final = 269
CANCEL_REFUSED: Final = "Cannot cancel this type of job. Action not permitted."
MAX_UPLOAD_PARTS: Final = 10_000
_UPLOAD_KINDS: Final = {"image": "uploaded", "video": "uploaded-video", "audio": "uploaded-audio"}
_ID_ALPHABET: Final = string.ascii_letters + string.digits


class Counters:
    """Requests seen per route key and per method, jobs created, TCP connections accepted."""

    def __init__(self) -> None:
        self.routes: Counter[str] = Counter()
        self.methods: Counter[str] = Counter()
        self.paid_submissions = 0
        self.tcp_connections = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "routes": dict(self.routes),
            "methods": dict(self.methods),
            "paid_submissions": self.paid_submissions,
            "polls": self.routes[route_keys.GET_JOB],
            "downloads": self.routes[route_keys.CDN_GET],
            "tcp_connections": self.tcp_connections,
        }


class EmulatorState:
    """The emulator's memory and behaviour, independent of HTTP."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.signer = UrlSigner(secret=f"{config.api_secret}:{config.seed}", ttl=config.url_ttl)
        self.faults = FaultBook(seed=config.seed)
        #: ``http://127.0.0.1:<port>``; set once the server is bound.
        self.origin = "http://127.0.0.1"
        self.counters = Counters()
        self._rng = random.Random()
        self.jobs: dict[str, JobRecord] = {}
        self._job_order: list[JobRecord] = []
        self._active: list[JobRecord] = []
        self.assets: dict[str, AssetRecord] = {}
        self.uploads: dict[str, UploadRecord] = {}
        self._failures: deque[JobFailure] = deque()
        #: Extend calls behind each video asset made by Extend (absent: 0).
        self._extensions: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        """Forget jobs, assets, uploads, faults and counters; re-apply the configured faults."""
        with self.lock:
            self._rng = random.Random(f"ids:{self.config.seed}")
            self.jobs.clear()
            self._job_order.clear()
            self._active.clear()
            self.assets.clear()
            self.uploads.clear()
            self._failures.clear()
            self._extensions.clear()
            self.counters = Counters()
            self.faults.clear()
            for rule in self.config.faults:
                self.faults.add(rule)

    # --- ids and ownership ---------------------------------------------------------------------------

    def _new_id(self, prefix: str, length: int) -> str:
        return prefix + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(length))

    def _owner(self, project_id: str | None) -> str:
        return project_id or self.config.project_id

    # --- generation -----------------------------------------------------------------------------------

    def fail_next_jobs(self, count: int, *, error: str, hint: str | None = None) -> None:
        """The next ``count`` submitted jobs end in ``failure`` with this ``error`` and ``hint``."""
        with self.lock:
            self._failures.extend(JobFailure(error, hint) for _ in range(count))

    def _check_input_assets(self, body: Mapping[str, Any], now: float) -> None:
        for name, asset_id in asset_refs_in(body):
            asset = self.assets.get(asset_id)
            if asset is None or not asset.exists(now):
                raise ApiError(400, f"Asset {asset_id} not found (given as {name})")
            kind = ASSET_FIELDS.get(name, "image")
            if asset.kind != kind:
                raise ApiError(400, f"Asset {asset_id} is a {asset.kind} asset; {name} needs a {kind} asset")

    def _check_extend_source(self, video: AssetRecord) -> None:
        """Scenario's Extend rules on the source: 16:9, short side 720 or 1080, chain and length caps."""
        width, height = video.properties.get("width"), video.properties.get("height")
        if width is not None and height is not None and (width, height) not in EXTEND_SOURCE_SIZES:
            raise ApiError(
                400,
                f"Input video {video.asset_id} is {width}x{height}: it must be a clip in 16:9 aspect ratio, "
                "with a short-side resolution of 720p or 1080p",
            )
        rules = self.config.rules
        if self._extensions.get(video.asset_id, 0) >= rules.max_extensions:
            raise ApiError(
                400, f"Input video {video.asset_id} was already extended {rules.max_extensions} times"
            )
        duration = video.properties.get("duration")
        if duration is not None and duration > rules.max_extend_source_seconds:
            raise ApiError(
                400,
                f"Input video {video.asset_id} lasts {duration} s: at most "
                f"{rules.max_extend_source_seconds:g} s can be extended",
            )

    def submit(
        self, model_id: str, body: Any, *, project_id: str | None, dry_run: bool, now: float
    ) -> tuple[int, dict[str, Any]]:
        """``POST /generate/custom/{modelId}``: (HTTP status, JSON body)."""
        if model_id in self.config.forbidden_models:
            raise ApiError(
                403, f"Model {model_id} is not available in your plan", details={"modelId": model_id}
            )
        spec = VEO31_FAMILY.get(model_id)
        if spec is None:
            raise ApiError(404, "Model not found")
        try:
            validate_api_body(body, self.config.rules, spec)
        except InvalidParameterError as exc:
            raise ApiError(400, str(exc)) from None
        cost = creative_units(spec, body)
        with self.lock:
            self._check_input_assets(body, now)
            if spec is VEO31_EXTEND:
                self._check_extend_source(self.assets[body["video"]])
            if dry_run:
                return DRY_RUN_STATUS, cost_fields(cost)
            self._check_parallel_limit(now)
            job = self._create_job(spec, dict(body), owner_id=self._owner(project_id), cost=cost, now=now)
            self.counters.paid_submissions += 1
            return 200, {"job": job.to_json(now), **cost_fields(cost)}

    def _check_parallel_limit(self, now: float) -> None:
        limit = self.config.max_parallel_jobs
        self._active = [job for job in self._active if not job.is_terminal(now)]
        if limit is not None and len(self._active) >= limit:
            retry_after = self.config.parallel_limit_retry_after
            raise ApiError(
                429,
                f"You have reached the maximum number of parallel jobs ({limit}) allowed by your plan",
                details={"actionName": "model_run", "actionLimit": limit},
                headers={"Retry-After": f"{retry_after:g}"} if retry_after is not None else None,
            )

    def _create_job(
        self, spec: Veo31Spec, body: dict[str, Any], *, owner_id: str, cost: int, now: float
    ) -> JobRecord:
        job_id = self._new_id("job_", 25)
        asset_id = self._new_id("asset_", 22)
        seed = body.get("seed")
        if seed is None:
            seed = self._rng.randrange(2**32)
        job = JobRecord(
            job_id=job_id,
            seq=len(self._job_order),
            created_at=now,
            duration=self.config.job_duration,
            input=body,
            owner_id=owner_id,
            author_id=self.config.author_id,
            cost=cost,
            output_asset_id=asset_id,
            failure=self._failures.popleft() if self._failures else None,
        )
        self.jobs[job_id] = job
        self._job_order.append(job)
        self._active.append(job)

        effective = with_defaults(body, spec)
        with_audio = bool(effective["generateAudio"])
        metadata: dict[str, Any] = {"modelId": spec.model_id, "parentJobId": job_id, "seed": str(seed)}
        if spec is VEO31_EXTEND:
            width, height, duration = self._extension_shape(body["video"])
            self._extensions[asset_id] = self._extensions.get(body["video"], 0) + 1
            metadata["aspectRatio"] = "16:9"
            metadata["parentId"] = body["video"]
            source = "video2video"
        else:
            metadata["aspectRatio"] = effective["aspectRatio"]
            width, height = frame_size(effective["aspectRatio"], effective["resolution"])
            duration = int(effective["duration"])
            source = "img2video" if body.get("image") else "txt2video"
        for key in ("prompt", "negativePrompt", "referenceImages"):
            if body.get(key) is not None:
                metadata[key] = body[key]
        properties: dict[str, Any] = {
            "width": width,
            "height": height,
            "duration": duration,
            "frameRate": FRAME_RATE,
            "nbFrames": duration * FRAME_RATE,
        }
        if with_audio:
            properties["channels"] = 2
        self.assets[asset_id] = AssetRecord(
            asset_id=asset_id,
            kind="video",
            source=source,
            content=GeneratedVideo(width=width, height=height, duration=duration, audio=with_audio),
            owner_id=owner_id,
            author_id=self.config.author_id,
            created_at=now,
            metadata=metadata,
            properties=properties,
            job=job,
        )
        return job

    def _extension_shape(self, source_id: str) -> tuple[int, int, int]:
        """Frame size and duration of an Extend output: the source's size; the source's duration plus
        :data:`EXTEND_SECONDS` (or only the extension, under ``extend_returns_whole_video=False``)."""
        properties = self.assets[source_id].properties
        width, height = properties.get("width") or 1280, properties.get("height") or 720
        if not self.config.rules.extend_returns_whole_video:
            return width, height, EXTEND_SECONDS
        return width, height, int(properties.get("duration") or DEFAULT_DURATION) + EXTEND_SECONDS

    # --- jobs -----------------------------------------------------------------------------------------

    def job(self, job_id: str, *, project_id: str | None, now: float) -> JobRecord:
        job = self.jobs.get(job_id)
        if job is None or not visible_to(job.owner_id, project_id):
            raise ApiError(404, "Job not found")
        return job

    def list_jobs(self, query: Mapping[str, str], *, now: float) -> dict[str, Any]:
        """``GET /jobs``: see :func:`.job_listing.list_jobs`."""
        with self.lock:
            return list_jobs(self._job_order, query, now=now)

    def act_on_job(self, job_id: str, body: Any, *, project_id: str | None, now: float) -> dict[str, Any]:
        """``POST /jobs/{jobId}/action``: only ``cancel`` exists; refused unless ``allow_cancel``."""
        with self.lock:
            job = self.job(job_id, project_id=project_id, now=now)
            action = body.get("action") if isinstance(body, Mapping) else None
            if action != "cancel":
                raise ApiError(400, f"Invalid action {action!r}: allowed values are 'cancel'")
            if not self.config.allow_cancel:
                raise ApiError(400, CANCEL_REFUSED)
            if job.is_terminal(now):
                raise ApiError(400, f"Cannot cancel a job in status {job.status(now).value}")
            job.canceled_at = now
            return {"job": job.to_json(now)}

    # --- assets ---------------------------------------------------------------------------------------

    def asset(self, asset_id: str, *, project_id: str | None, now: float) -> AssetRecord:
        asset = self.assets.get(asset_id)
        if asset is None or not asset.exists(now) or not visible_to(asset.owner_id, project_id):
            raise ApiError(404, "Asset not found")
        return asset

    def cdn_url(self, asset: AssetRecord, *, now: float) -> str:
        """A fresh signed CDN URL for the asset's bytes."""
        return self.signer.sign_cdn(f"{self.origin}/cdn/assets/{asset.asset_id}", now=now)

    def expire_urls(self) -> None:
        """Every signed URL issued so far is expired from now on (the CDN answers 403)."""
        self.signer.expire_all()

    def _add_asset(
        self,
        content: Content,
        *,
        kind: str,
        source: str,
        owner_id: str,
        now: float,
        metadata: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
    ) -> AssetRecord:
        with self.lock:
            asset = AssetRecord(
                asset_id=self._new_id("asset_", 22),
                kind=kind,
                source=source,
                content=content,
                owner_id=owner_id,
                author_id=self.config.author_id,
                created_at=now,
                metadata=metadata or {},
                properties=properties or {},
            )
            self.assets[asset.asset_id] = asset
            return asset

    def add_image(self, data: bytes, *, name: str, project_id: str | None, now: float) -> AssetRecord:
        """Store an uploaded image; 400 when the bytes are no image of a supported format."""
        info = sniff_image(data)
        if info is None:
            raise ApiError(
                400, "Invalid image: supported formats are jpeg, png, gif, svg, webp, avif, tiff, heic"
            )
        properties = {k: v for k, v in (("width", info.width), ("height", info.height)) if v is not None}
        return self._add_asset(
            BytesContent(data, info.mime_type),
            kind="image",
            source="uploaded",
            owner_id=self._owner(project_id),
            now=now,
            metadata={"name": name},
            properties=properties,
        )

    def upload_inline(self, body: Any, *, project_id: str | None, now: float) -> dict[str, Any]:
        """``POST /assets`` with ``{"name": ..., "image": "<base64>"}`` (a ``data:`` prefix is accepted)."""
        if not isinstance(body, Mapping):
            raise ApiError(400, "Invalid body: must be a JSON object")
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ApiError(400, "Invalid name: a file name is required")
        image = body.get("image")
        if not isinstance(image, str) or not image:
            raise ApiError(400, "Invalid image: a base64 encoded image is required")
        if image.startswith("data:"):
            image = image.partition(",")[2]
        try:
            data = base64.b64decode(image, validate=True)
        except binascii.Error:
            raise ApiError(400, "Invalid image: not valid base64") from None
        limit = self.config.max_inline_image_bytes
        if len(data) > limit:
            raise ApiError(
                400,
                f"Image too large: {len(data)} bytes, POST /assets takes up to {limit} bytes",
                hint="Upload larger files with POST /uploads",
            )
        asset = self.add_image(data, name=name, project_id=project_id, now=now)
        return {"asset": asset.to_json(self.cdn_url(asset, now=now))}

    def create_image_asset(
        self, *, width: int, height: int, project_id: str | None = None, now: float
    ) -> AssetRecord:
        return self.add_image(make_png(width, height), name="emulator.png", project_id=project_id, now=now)

    def create_video_asset(
        self, *, size: int | None, project_id: str | None = None, now: float
    ) -> AssetRecord:
        """A video asset: ``size`` bytes of synthetic MP4 streamed on demand, or a real 8 s 720p MP4."""
        content: Content
        if size is None:
            content = GeneratedVideo(width=1280, height=720, duration=DEFAULT_DURATION, audio=True)
            width, height, duration = 1280, 720, DEFAULT_DURATION
        else:
            content = SyntheticVideo(size)
            width, height, duration = SYNTHETIC_WIDTH, SYNTHETIC_HEIGHT, SYNTHETIC_DURATION
        return self._add_asset(
            content,
            kind="video",
            source="uploaded-video",
            owner_id=self._owner(project_id),
            now=now,
            properties={"width": width, "height": height, "duration": duration, "frameRate": FRAME_RATE},
        )

    # --- uploads --------------------------------------------------------------------------------------

    def create_upload(self, body: Any, *, project_id: str | None, now: float) -> dict[str, Any]:
        """``POST /uploads`` (multipart): returns presigned part URLs on the emulator."""
        if not isinstance(body, Mapping):
            raise ApiError(400, "Invalid body: must be a JSON object")
        file_name, content_type = body.get("fileName"), body.get("contentType")
        file_size, parts, kind = body.get("fileSize"), body.get("parts"), body.get("kind")
        if not isinstance(file_name, str) or not file_name:
            raise ApiError(400, "Invalid fileName: required for multipart upload")
        if not isinstance(content_type, str) or not content_type:
            raise ApiError(400, "Invalid contentType: required for multipart upload")
        if isinstance(file_size, bool) or not isinstance(file_size, (int, float)) or file_size <= 0:
            raise ApiError(400, f"Invalid fileSize={file_size!r}: must be a positive number of bytes")
        if (
            isinstance(parts, bool)
            or not isinstance(parts, (int, float))
            or not 1 <= parts <= MAX_UPLOAD_PARTS
        ):
            raise ApiError(400, f"Invalid parts={parts!r}: must be from 1 to {MAX_UPLOAD_PARTS}")
        if kind not in _UPLOAD_KINDS:
            raise ApiError(400, f"Invalid kind={kind!r}: the emulator accepts {', '.join(_UPLOAD_KINDS)}")
        with self.lock:
            upload = UploadRecord(
                upload_id=self._new_id("upload_", 22),
                file_name=file_name,
                content_type=content_type,
                kind=str(kind),
                file_size=int(file_size),
                parts_count=int(parts),
                owner_id=self._owner(project_id),
                author_id=self.config.author_id,
                created_at=now,
            )
            self.uploads[upload.upload_id] = upload
        return {"upload": upload.to_json(now, self.config.upload_import_delay, self._part_urls(upload, now))}

    def _part_urls(self, upload: UploadRecord, now: float) -> list[dict[str, Any]]:
        expires = int(now + self.config.upload_url_ttl)
        return [
            {
                "number": n,
                "url": self.origin
                + self.signer.sign_upload_part(f"/v1/upload-parts/{upload.upload_id}/{n}", expires=expires),
                "expires": iso(expires),
            }
            for n in range(1, upload.parts_count + 1)
        ]

    def upload(self, upload_id: str, *, project_id: str | None) -> UploadRecord:
        upload = self.uploads.get(upload_id)
        if upload is None or not visible_to(upload.owner_id, project_id):
            raise ApiError(404, "Upload not found")
        return upload

    def upload_json(self, upload_id: str, *, project_id: str | None, now: float) -> dict[str, Any]:
        upload = self.upload(upload_id, project_id=project_id)
        parts = self._part_urls(upload, now) if upload.completed_at is None else None
        return {"upload": upload.to_json(now, self.config.upload_import_delay, parts)}

    def put_part(
        self, upload_id: str, number: str, data: bytes, *, path: str, query: Mapping[str, str], now: float
    ) -> str:
        """Store one part sent to its presigned URL; returns the part's ETag."""
        refused = self.signer.check_upload_part(path, query, now=now)
        if refused is not None:
            raise ApiError(403, f"Access denied: {refused}")
        with self.lock:
            upload = self.upload(upload_id, project_id=None)
            if upload.completed_at is not None:
                raise ApiError(400, "Upload already completed")
            if not number.isdigit() or not 1 <= int(number) <= upload.parts_count:
                raise ApiError(400, f"Invalid part number {number}: 1 to {upload.parts_count}")
            upload.parts[int(number)] = data
        return BytesContent(data, "").etag

    def complete_upload(
        self, upload_id: str, body: Any, *, project_id: str | None, now: float
    ) -> dict[str, Any]:
        """``POST /uploads/{id}/action {"action": "complete"}``: assemble, validate, create the asset."""
        action = body.get("action") if isinstance(body, Mapping) else None
        if action != "complete":
            raise ApiError(400, f"Invalid action {action!r}: allowed values are 'complete'")
        with self.lock:
            upload = self.upload(upload_id, project_id=project_id)
            if upload.completed_at is None:
                self._assemble(upload, now)
        return {"upload": upload.to_json(now, self.config.upload_import_delay)}

    def _assemble(self, upload: UploadRecord, now: float) -> None:
        for n in range(1, upload.parts_count + 1):
            part = upload.parts.get(n)
            if part is None:
                raise ApiError(400, f"Part {n} of {upload.parts_count} has not been uploaded")
            if n < upload.parts_count and len(part) < self.config.min_part_size:
                raise ApiError(
                    400,
                    f"Part {n} is {len(part)} bytes: every part but the last needs at least "
                    f"{self.config.min_part_size} bytes",
                )
        data = b"".join(upload.parts[n] for n in range(1, upload.parts_count + 1))
        upload.parts.clear()
        upload.completed_at = now
        if len(data) != upload.file_size:
            upload.error = f"Received {len(data)} bytes, fileSize announced {upload.file_size}"
            return
        if upload.kind == "image":
            try:
                asset = self.add_image(data, name=upload.file_name, project_id=upload.owner_id, now=now)
            except ApiError as exc:
                upload.error = exc.reason
                return
        else:
            asset = self._add_asset(
                BytesContent(data, upload.content_type),
                kind=upload.kind,
                source=_UPLOAD_KINDS[upload.kind],
                owner_id=upload.owner_id,
                now=now,
                metadata={"name": upload.file_name},
            )
        upload.asset_id = asset.asset_id

    # --- models ---------------------------------------------------------------------------------------

    def model(self, model_id: str, *, now: float) -> dict[str, Any]:
        spec = VEO31_FAMILY.get(model_id)
        if spec is None:
            raise ApiError(404, "Model not found")
        return {"model": model_json(spec, self.config.job_duration, now=now)}
