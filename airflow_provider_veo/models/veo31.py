"""The Veo 3.1 request: every parameter, its allowed values and every cross-field rule.

This module is the single source of truth for the rules. :class:`Veo31Request` validates what the
operator sends before any paid request, and the emulator validates incoming bodies with
:func:`validate_api_body` so both reject exactly the same inputs. ``GET /models/{id}`` in the emulator
is derived from :func:`model_inputs`.

Rules come from the Veo 3.1 API reference and Scenario's model docs. Two rules are not settled
upstream (see docs/api-unknowns.md) and are switchable through :class:`Veo31Rules`:
``9:16`` with reference images (rejected by default, as the model page says) and whether
``generateAudio`` must be sent (our operator always sends it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from airflow_provider_veo.exceptions import InvalidParameterError, allowed_values

MODEL_ID: Final = "model_veo3-1"

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

#: Python keyword argument -> API field, in the reference's order.
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
}
_PYTHON_NAMES: Final = {api: py for py, api in API_FIELDS.items()}

#: API field -> the value Veo uses when the field is unset (the reference's "Default" column).
API_DEFAULTS: Final[Mapping[str, Any]] = {
    "referenceImagesType": DEFAULT_REFERENCE_IMAGES_TYPE,
    "negativePrompt": DEFAULT_NEGATIVE_PROMPT,
    "resolution": DEFAULT_RESOLUTION,
    "generateAudio": DEFAULT_GENERATE_AUDIO,
    "aspectRatio": DEFAULT_ASPECT_RATIO,
    "duration": DEFAULT_DURATION,
}

#: API fields that hold one asset id.
ASSET_FIELDS: Final = ("image", "lastFrameImage")

#: Frame size in pixels for each (aspect ratio, resolution).
FRAME_SIZES: Final[Mapping[tuple[str, str], tuple[int, int]]] = {
    ("16:9", "720p"): (1280, 720),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "720p"): (720, 1280),
    ("9:16", "1080p"): (1080, 1920),
}
FRAME_RATE: Final = 24


@dataclass(frozen=True)
class Veo31Rules:
    """Rules that are not settled upstream, switchable so the emulator can follow either reading."""

    reject_portrait_with_reference_images: bool = True
    require_generate_audio: bool = True
    reject_unknown_fields: bool = True


DEFAULT_RULES: Final = Veo31Rules()


def _name(api_field: str) -> str:
    python = _PYTHON_NAMES.get(api_field, api_field)
    return api_field if python == api_field else f"{python} ({api_field})"


def _fail(api_field: str, value: Any, allowed: str) -> InvalidParameterError:
    return InvalidParameterError(_name(api_field), value, allowed)


def _check_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(key, value, "must be a string")
    return value


def _check_asset_id(body: Mapping[str, Any], key: str) -> str | None:
    value = _check_str(body, key)
    if value is not None and not value.strip():
        raise _fail(key, value, "must be a non-empty asset id")
    return value


def _check_choice(body: Mapping[str, Any], key: str, choices: Sequence[Any]) -> None:
    value = body.get(key)
    if value is not None and (isinstance(value, bool) or value not in choices):
        raise _fail(key, value, allowed_values(choices))


def _check_duration(body: Mapping[str, Any]) -> None:
    value = body.get("duration")
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in DURATIONS:
        raise _fail("duration", value, allowed_values(DURATIONS) + " (seconds)")


def _check_seed(body: Mapping[str, Any]) -> None:
    value = body.get("seed")
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not SEED_MIN <= value <= SEED_MAX:
        raise _fail("seed", value, f"must be an integer from {SEED_MIN} to {SEED_MAX}")


def _check_reference_images(body: Mapping[str, Any]) -> list[str] | None:
    value = body.get("referenceImages")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail("referenceImages", value, "must be a list of asset ids")
    if not MIN_REFERENCE_IMAGES <= len(value) <= MAX_REFERENCE_IMAGES:
        raise _fail(
            "referenceImages",
            value,
            f"must hold {MIN_REFERENCE_IMAGES} to {MAX_REFERENCE_IMAGES} images, got {len(value)}",
        )
    return value


def validate_api_body(body: Mapping[str, Any], rules: Veo31Rules = DEFAULT_RULES) -> None:
    """Validate a ``POST /generate/custom/model_veo3-1`` body (camelCase API fields).

    Raises :class:`InvalidParameterError` naming the parameter, the value and what is allowed.
    """
    if not isinstance(body, Mapping):
        raise InvalidParameterError("body", body, "must be a JSON object")
    if rules.reject_unknown_fields:
        unknown = sorted(set(body) - set(API_FIELDS.values()))
        if unknown:
            raise InvalidParameterError(
                "body", unknown[0], "unknown field; known fields are " + ", ".join(API_FIELDS.values())
            )
    _check_str(body, "prompt")
    _check_str(body, "negativePrompt")
    image = _check_asset_id(body, "image")
    _check_asset_id(body, "lastFrameImage")
    references = _check_reference_images(body)
    _check_choice(body, "referenceImagesType", REFERENCE_IMAGES_TYPES)
    _check_choice(body, "resolution", RESOLUTIONS)
    _check_choice(body, "aspectRatio", ASPECT_RATIOS)
    _check_duration(body)
    _check_seed(body)

    generate_audio = body.get("generateAudio")
    if generate_audio is None:
        if rules.require_generate_audio:
            raise _fail("generateAudio", None, "is required: pass true or false explicitly")
    elif not isinstance(generate_audio, bool):
        raise _fail("generateAudio", generate_audio, "must be a boolean (true or false)")

    if references is not None:
        if image is not None:
            raise _fail(
                "referenceImages",
                references,
                "cannot be combined with image (first frame); set one or the other",
            )
        effective = with_defaults(body)
        duration = int(effective["duration"])
        if duration != REFERENCE_DURATION:
            raise _fail(
                "duration",
                duration,
                f"with reference_images only duration={REFERENCE_DURATION} is supported",
            )
        aspect_ratio = effective["aspectRatio"]
        if rules.reject_portrait_with_reference_images and aspect_ratio == "9:16":
            raise _fail(
                "aspectRatio", aspect_ratio, "'9:16' is not supported with reference_images; use '16:9'"
            )


def with_defaults(body: Mapping[str, Any]) -> dict[str, Any]:
    """The effective request: a copy of ``body`` with :data:`API_DEFAULTS` filled in for every unset
    (absent or ``null``) field. Validate ``body`` first; this neither validates nor drops fields.

    >>> with_defaults({"prompt": "a fox", "duration": 4})["resolution"]
    '720p'
    """
    effective = dict(body)
    for key, default in API_DEFAULTS.items():
        if effective.get(key) is None:
            effective[key] = default
    return effective


def asset_refs_in(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(API field, asset id) for every asset a valid body refers to, in field order.

    >>> asset_refs_in({"image": "asset_a", "lastFrameImage": "asset_b"})
    [('image', 'asset_a'), ('lastFrameImage', 'asset_b')]
    """
    refs = [(key, body[key]) for key in ASSET_FIELDS if body.get(key)]
    refs.extend(("referenceImages", asset_id) for asset_id in body.get("referenceImages") or [])
    return refs


def frame_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """Width and height of the video Veo renders for this aspect ratio and resolution."""
    return FRAME_SIZES[(aspect_ratio, resolution)]


@dataclass(frozen=True)
class Veo31Request:
    """A Veo 3.1 generation request with Python names; validated on construction.

    >>> Veo31Request(prompt="a fox in the snow", duration=4).to_api_body()["duration"]
    4
    """

    prompt: str | None = None
    image: str | None = None
    last_frame_image: str | None = None
    reference_images: Sequence[str] | None = None
    reference_images_type: str | None = None
    negative_prompt: str | None = None
    resolution: str = DEFAULT_RESOLUTION
    generate_audio: bool = DEFAULT_GENERATE_AUDIO
    aspect_ratio: str = DEFAULT_ASPECT_RATIO
    duration: int = DEFAULT_DURATION
    seed: int | None = None
    rules: Veo31Rules = field(default=DEFAULT_RULES, compare=False, repr=False)

    def __post_init__(self) -> None:
        validate_api_body(self.to_api_body(), self.rules)

    def to_api_body(self) -> dict[str, Any]:
        """The JSON body for ``POST /generate/custom/model_veo3-1``: camelCase, unset fields omitted."""
        body: dict[str, Any] = {}
        for python_name, api_name in API_FIELDS.items():
            value = getattr(self, python_name)
            if value is None:
                continue
            if python_name == "reference_images":
                value = list(value) if isinstance(value, (list, tuple)) else value
            body[api_name] = value
        return body


def model_inputs() -> list[dict[str, Any]]:
    """The ``inputs[]`` of ``GET /models/model_veo3-1``, derived from the rules above."""

    def entry(
        name: str,
        type_: str,
        *,
        default: Any = None,
        allowed: Sequence[Any] | None = None,
        required: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        item: dict[str, Any] = {"name": name, "type": type_, "label": name, "required": {"always": required}}
        if default is not None:
            item["default"] = default
        if allowed is not None:
            item["allowedValues"] = list(allowed)
        item.update(extra)
        return item

    return [
        entry("prompt", "string"),
        entry("image", "file", kind="image"),
        entry("lastFrameImage", "file", kind="image"),
        entry(
            "referenceImages", "file_array", kind="image", min=MIN_REFERENCE_IMAGES, max=MAX_REFERENCE_IMAGES
        ),
        entry(
            "referenceImagesType",
            "string",
            default=DEFAULT_REFERENCE_IMAGES_TYPE,
            allowed=REFERENCE_IMAGES_TYPES,
        ),
        entry("negativePrompt", "string", default=DEFAULT_NEGATIVE_PROMPT),
        entry("resolution", "string", default=DEFAULT_RESOLUTION, allowed=RESOLUTIONS),
        entry("generateAudio", "boolean", default=DEFAULT_GENERATE_AUDIO, required=True),
        entry("aspectRatio", "string", default=DEFAULT_ASPECT_RATIO, allowed=ASPECT_RATIOS),
        entry("duration", "number", default=DEFAULT_DURATION, allowed=DURATIONS),
        entry("seed", "number", min=SEED_MIN, max=SEED_MAX),
    ]
