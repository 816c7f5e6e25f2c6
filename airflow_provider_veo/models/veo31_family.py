"""The Veo 3.1 family on Scenario as data: every input, its allowed values and defaults, and which
member takes which input.

Scenario serves four Veo 3.1 models (see docs/api-unknowns.md and the family reference):

=============================  =========================================================================
``model_veo3-1``               full quality; the only member with ``referenceImagesType``
``model_veo3-1-fast``          the same modes, cheaper; no ``referenceImagesType``
``model_veo3-1-lite``          first / last frame only (no reference images); the cheapest
``model_veo3-1-extend-video``  continues a Veo video by 7 s: ``prompt``, ``video``, ``generateAudio``,
                               ``seed`` only
=============================  =========================================================================

One :class:`Veo31Spec` per member lists the inputs it takes; the value rules (allowed values, ranges,
defaults) are written once here for every input, and the cross-field rules once in
:mod:`airflow_provider_veo.models.veo31`, which apply to a member only through the inputs it has.

>>> family_spec("model_veo3-1-lite").takes("referenceImages")
False
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

MODEL_ID: Final = "model_veo3-1"
FAST_MODEL_ID: Final = "model_veo3-1-fast"
LITE_MODEL_ID: Final = "model_veo3-1-lite"
EXTEND_MODEL_ID: Final = "model_veo3-1-extend-video"

MODEL_ID_PATTERN: Final = re.compile(r"model_[A-Za-z0-9][A-Za-z0-9._-]*")
"""What a Scenario model id looks like (``model_veo3-1``, ``model_8Jx...``)."""

RESOLUTIONS: Final = ("720p", "1080p")
ASPECT_RATIOS: Final = ("16:9", "9:16")
DURATIONS: Final = (4, 6, 8)
REFERENCE_IMAGES_TYPES: Final = ("ASSET", "STYLE")
MIN_REFERENCE_IMAGES: Final = 1
MAX_REFERENCE_IMAGES: Final = 3
REFERENCE_DURATION: Final = 8
SEED_MIN: Final = 0
SEED_MAX: Final = 2**32 - 1

DEFAULT_RESOLUTION: Final = "720p"
DEFAULT_ASPECT_RATIO: Final = "16:9"
DEFAULT_DURATION: Final = 8
DEFAULT_REFERENCE_IMAGES_TYPE: Final = "ASSET"
DEFAULT_NEGATIVE_PROMPT: Final = ""
DEFAULT_GENERATE_AUDIO: Final = True

EXTEND_SECONDS: Final = 7
"""Seconds of new footage each Extend call adds."""
MAX_EXTENSIONS: Final = 20
"""Extend calls Scenario allows in one chain ("by 7 seconds and up to 20 times")."""

#: Python keyword argument -> API field, for every input of the family, in the reference's order.
API_FIELDS: Final[Mapping[str, str]] = {
    "prompt": "prompt",
    "image": "image",
    "last_frame_image": "lastFrameImage",
    "reference_images": "referenceImages",
    "reference_images_type": "referenceImagesType",
    "negative_prompt": "negativePrompt",
    "resolution": "resolution",
    "generate_audio": "generateAudio",
    "aspect_ratio": "aspectRatio",
    "duration": "duration",
    "seed": "seed",
    "video": "video",
}
PYTHON_NAMES: Final[Mapping[str, str]] = {api: py for py, api in API_FIELDS.items()}

#: API field -> the value Veo uses when the field is unset (the reference's "Default" column).
API_DEFAULTS: Final[Mapping[str, Any]] = {
    "referenceImagesType": DEFAULT_REFERENCE_IMAGES_TYPE,
    "negativePrompt": DEFAULT_NEGATIVE_PROMPT,
    "resolution": DEFAULT_RESOLUTION,
    "generateAudio": DEFAULT_GENERATE_AUDIO,
    "aspectRatio": DEFAULT_ASPECT_RATIO,
    "duration": DEFAULT_DURATION,
}

#: API fields that hold one asset id, and the asset kind each needs.
ASSET_FIELDS: Final[Mapping[str, str]] = {"image": "image", "lastFrameImage": "image", "video": "video"}

#: Frame size in pixels for each (aspect ratio, resolution).
FRAME_SIZES: Final[Mapping[tuple[str, str], tuple[int, int]]] = {
    ("16:9", "720p"): (1280, 720),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "720p"): (720, 1280),
    ("9:16", "1080p"): (1080, 1920),
}
FRAME_RATE: Final = 24

EXTEND_SOURCE_ASPECT_RATIO: Final = "16:9"
#: What an Extend source may measure: 16:9 with a short side of 720 or 1080 pixels.
EXTEND_SOURCE_SIZES: Final = frozenset(
    size for (ratio, _), size in FRAME_SIZES.items() if ratio == EXTEND_SOURCE_ASPECT_RATIO
)

_GENERATE_INPUTS: Final = (
    "prompt",
    "image",
    "lastFrameImage",
    "referenceImages",
    "referenceImagesType",
    "negativePrompt",
    "resolution",
    "generateAudio",
    "aspectRatio",
    "duration",
    "seed",
)


@dataclass(frozen=True)
class Veo31Spec:
    """One member of the family: its id, what it is, and the API inputs it takes."""

    model_id: str
    name: str
    description: str
    capabilities: tuple[str, ...]
    inputs: tuple[str, ...]
    required: frozenset[str] = frozenset({"generateAudio"})

    def takes(self, api_field: str) -> bool:
        return api_field in self.inputs

    @property
    def python_inputs(self) -> tuple[str, ...]:
        """The inputs as operator keyword arguments (snake_case)."""
        return tuple(PYTHON_NAMES[name] for name in self.inputs)


VEO31: Final = Veo31Spec(
    model_id=MODEL_ID,
    name="Veo 3.1",
    description="Google Veo 3.1 video generation with native audio.",
    capabilities=("txt2video", "img2video"),
    inputs=_GENERATE_INPUTS,
)
VEO31_FAST: Final = Veo31Spec(
    model_id=FAST_MODEL_ID,
    name="Veo 3.1 Fast",
    description="A faster, more affordable version of Veo 3.1.",
    capabilities=("txt2video", "img2video"),
    inputs=tuple(name for name in _GENERATE_INPUTS if name != "referenceImagesType"),
)
VEO31_LITE: Final = Veo31Spec(
    model_id=LITE_MODEL_ID,
    name="Veo 3.1 Lite",
    description="A lite version of Veo 3.1: first and last frame only, no reference images; the cheapest.",
    capabilities=("txt2video", "img2video"),
    inputs=tuple(name for name in _GENERATE_INPUTS if name not in ("referenceImages", "referenceImagesType")),
)
VEO31_EXTEND: Final = Veo31Spec(
    model_id=EXTEND_MODEL_ID,
    name="Veo 3.1 Extend Video",
    description=(
        f"Extend videos previously generated with Veo by {EXTEND_SECONDS} seconds, "
        f"up to {MAX_EXTENSIONS} times."
    ),
    capabilities=("video2video",),
    inputs=("prompt", "video", "generateAudio", "seed"),
    required=frozenset({"video", "generateAudio"}),
)

VEO31_FAMILY: Final[Mapping[str, Veo31Spec]] = {
    spec.model_id: spec for spec in (VEO31, VEO31_FAST, VEO31_LITE, VEO31_EXTEND)
}
"""Every member, by model id."""

GENERATE_MODELS: Final[Mapping[str, Veo31Spec]] = {
    model_id: spec for model_id, spec in VEO31_FAMILY.items() if "video2video" not in spec.capabilities
}
"""The members that generate a new video (everything but Extend): what ``Veo31GenerateOperator`` runs."""


def is_model_id(value: object) -> bool:
    """Whether ``value`` looks like a Scenario model id."""
    return isinstance(value, str) and MODEL_ID_PATTERN.fullmatch(value) is not None


def family_spec(model_id: str) -> Veo31Spec:
    """The spec of a family member; ``KeyError`` for any other id."""
    return VEO31_FAMILY[model_id]


def model_inputs(spec: Veo31Spec = VEO31) -> list[dict[str, Any]]:
    """The ``inputs[]`` of ``GET /models/{spec.model_id}``, derived from the table above."""
    every = {
        "prompt": _entry("prompt", "string"),
        "image": _entry("image", "file", kind="image"),
        "lastFrameImage": _entry("lastFrameImage", "file", kind="image"),
        "referenceImages": _entry(
            "referenceImages", "file_array", kind="image", min=MIN_REFERENCE_IMAGES, max=MAX_REFERENCE_IMAGES
        ),
        "referenceImagesType": _entry("referenceImagesType", "string", allowed=REFERENCE_IMAGES_TYPES),
        "negativePrompt": _entry("negativePrompt", "string"),
        "resolution": _entry("resolution", "string", allowed=RESOLUTIONS),
        "generateAudio": _entry("generateAudio", "boolean"),
        "aspectRatio": _entry("aspectRatio", "string", allowed=ASPECT_RATIOS),
        "duration": _entry("duration", "number", allowed=DURATIONS),
        "seed": _entry("seed", "number", min=SEED_MIN, max=SEED_MAX),
        "video": _entry("video", "file", kind="video"),
    }
    items = []
    for name in spec.inputs:
        item = every[name]
        item["required"] = {"always": name in spec.required}
        if name in API_DEFAULTS:
            item["default"] = API_DEFAULTS[name]
        items.append(item)
    return items


def _entry(name: str, type_: str, *, allowed: tuple[Any, ...] | None = None, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "type": type_, "label": name}
    if allowed is not None:
        item["allowedValues"] = list(allowed)
    item.update(extra)
    return item
