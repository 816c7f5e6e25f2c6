"""The Veo 3.1 family's rules: every value check and cross-field rule, applied per model.

This module is the single source of truth for the rules; what each model takes is data in
:mod:`airflow_provider_veo.models.veo31_family`. :class:`Veo31Request` (generation: 3.1, Fast, Lite)
and :class:`Veo31ExtendRequest` (Extend) validate what the operators send before any paid request,
and the emulator validates incoming bodies with :func:`validate_api_body` so both reject exactly the
same inputs. ``GET /models/{id}`` in the emulator is derived from
:func:`~airflow_provider_veo.models.veo31_family.model_inputs`.

Rules come from the Veo 3.1 references and Scenario's model docs. Readings that are not settled
upstream (see docs/api-unknowns.md) are switchable through :class:`Veo31Rules`, each defaulting to
the safe reading: refuse before paying for a request the API may refuse or silently change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from airflow_provider_veo.exceptions import InvalidParameterError, allowed_values
from airflow_provider_veo.models.veo31_family import (
    API_DEFAULTS,
    API_FIELDS,
    ASPECT_RATIOS,
    ASSET_FIELDS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_NEGATIVE_PROMPT,
    DEFAULT_REFERENCE_IMAGES_TYPE,
    DEFAULT_RESOLUTION,
    DURATIONS,
    EXTEND_MODEL_ID,
    FRAME_RATE,
    FRAME_SIZES,
    GENERATE_MODELS,
    MAX_EXTENSIONS,
    MAX_REFERENCE_IMAGES,
    MIN_REFERENCE_IMAGES,
    MODEL_ID,
    PYTHON_NAMES,
    REFERENCE_DURATION,
    REFERENCE_IMAGES_TYPES,
    RESOLUTIONS,
    SEED_MAX,
    SEED_MIN,
    VEO31,
    VEO31_EXTEND,
    Veo31Spec,
    is_model_id,
    model_inputs,
)

__all__ = [
    "API_DEFAULTS",
    "API_FIELDS",
    "ASPECT_RATIOS",
    "DEFAULT_ASPECT_RATIO",
    "DEFAULT_DURATION",
    "DEFAULT_GENERATE_AUDIO",
    "DEFAULT_NEGATIVE_PROMPT",
    "DEFAULT_REFERENCE_IMAGES_TYPE",
    "DEFAULT_RESOLUTION",
    "DEFAULT_RULES",
    "DURATIONS",
    "FRAME_RATE",
    "MODEL_ID",
    "RESOLUTIONS",
    "Veo31ExtendRequest",
    "Veo31Request",
    "Veo31Rules",
    "asset_refs_in",
    "frame_size",
    "generate_spec",
    "model_inputs",
    "parameter_label",
    "validate_api_body",
    "with_defaults",
]


@dataclass(frozen=True)
class Veo31Rules:
    """Readings that are not settled upstream, switchable so the emulator can follow either one.

    The defaults are the safe readings (refuse before paying); each switch is documented in
    docs/api-unknowns.md.
    """

    #: ``9:16`` with reference images: the older 3.1 model page refused it; newer docs are silent.
    reject_portrait_with_reference_images: bool = True
    #: ``generateAudio`` is marked required on every member (our operators always send it).
    require_generate_audio: bool = True
    #: A field the model does not take: a 400 here; Scenario may ignore it silently (unknown).
    reject_unknown_fields: bool = True
    #: ``lastFrameImage`` with ``referenceImages``: Google refuses it; Scenario is silent.
    reject_last_frame_with_reference_images: bool = True
    #: ``referenceImages`` without a ``prompt``: nothing says what to do with the references.
    require_prompt_with_reference_images: bool = True
    #: ``referenceImagesType`` without ``referenceImages``: has no effect, so it is a mistake.
    reject_reference_images_type_alone: bool = True
    #: What an Extend job returns: the whole longer video (Google's behaviour, the default), or only
    #: the new 7 s (then a chain's video is the source followed by every extension, in order).
    extend_returns_whole_video: bool = True
    #: Extend calls allowed in one chain (Scenario: "up to 20 times").
    max_extensions: int = MAX_EXTENSIONS
    #: Longest Extend source in seconds: Gemini API 141 s (the default), Vertex 30 s; which backend
    #: Scenario uses is unknown.
    max_extend_source_seconds: float = 141.0


DEFAULT_RULES: Final = Veo31Rules()


def generate_spec(model_id: object) -> Veo31Spec:
    """The spec of a generation model (``model_veo3-1``, ``-fast``, ``-lite``), or a clear refusal.

    >>> generate_spec("model_veo3-1-fast").name
    'Veo 3.1 Fast'
    """
    if not is_model_id(model_id):
        raise InvalidParameterError(
            "model_id", model_id, "must be a Scenario model id such as 'model_veo3-1'"
        )
    spec = GENERATE_MODELS.get(str(model_id))
    if spec is None:
        hint = " (use Veo31ExtendOperator to extend a video)" if model_id == EXTEND_MODEL_ID else ""
        raise InvalidParameterError(
            "model_id", model_id, allowed_values(GENERATE_MODELS) + " (the Veo 3.1 generation models)" + hint
        )
    return spec


def parameter_label(name: str) -> str:
    """How errors name a parameter, from its Python or API name: ``last_frame_image (lastFrameImage)``.

    >>> parameter_label("lastFrameImage") == parameter_label("last_frame_image")
    True
    """
    python = PYTHON_NAMES.get(name, name)
    api = API_FIELDS.get(python, name)
    return api if python == api else f"{python} ({api})"


def _fail(api_field: str, value: Any, allowed: str) -> InvalidParameterError:
    return InvalidParameterError(parameter_label(api_field), value, allowed)


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


def _check_fields(body: Mapping[str, Any], spec: Veo31Spec) -> None:
    for key in body:
        if spec.takes(key):
            continue
        if key in PYTHON_NAMES:
            raise _fail(key, body[key], f"is not an input of {spec.model_id} ({spec.name})")
        raise InvalidParameterError(
            "body", key, f"unknown field; {spec.model_id} takes " + ", ".join(spec.inputs)
        )


def validate_api_body(
    body: Mapping[str, Any], rules: Veo31Rules = DEFAULT_RULES, spec: Veo31Spec = VEO31
) -> None:
    """Validate a ``POST /generate/custom/{spec.model_id}`` body (camelCase API fields).

    Raises :class:`InvalidParameterError` naming the parameter, the value and what is allowed.
    """
    if not isinstance(body, Mapping):
        raise InvalidParameterError("body", body, "must be a JSON object")
    if rules.reject_unknown_fields:
        _check_fields(body, spec)
    else:
        body = {key: value for key, value in body.items() if spec.takes(key)}
    prompt = _check_str(body, "prompt")
    _check_str(body, "negativePrompt")
    image = _check_asset_id(body, "image")
    last_frame = _check_asset_id(body, "lastFrameImage")
    video = _check_asset_id(body, "video")
    references = _check_reference_images(body)
    _check_choice(body, "referenceImagesType", REFERENCE_IMAGES_TYPES)
    _check_choice(body, "resolution", RESOLUTIONS)
    _check_choice(body, "aspectRatio", ASPECT_RATIOS)
    _check_duration(body)
    _check_seed(body)

    if video is None and "video" in spec.required:
        raise _fail("video", None, "is required: the asset id of the video to extend")
    generate_audio = body.get("generateAudio")
    if generate_audio is None:
        if rules.require_generate_audio:
            raise _fail("generateAudio", None, "is required: pass true or false explicitly")
    elif not isinstance(generate_audio, bool):
        raise _fail("generateAudio", generate_audio, "must be a boolean (true or false)")

    if references is None:
        if rules.reject_reference_images_type_alone and body.get("referenceImagesType") is not None:
            raise _fail(
                "referenceImagesType",
                body["referenceImagesType"],
                "applies to reference_images only; set reference_images or drop it",
            )
        return
    if image is not None:
        raise _fail(
            "referenceImages", references, "cannot be combined with image (first frame); set one or the other"
        )
    if rules.reject_last_frame_with_reference_images and last_frame is not None:
        raise _fail(
            "referenceImages",
            references,
            "cannot be combined with last_frame_image (Google refuses it); set one or the other",
        )
    if rules.require_prompt_with_reference_images and not (prompt or "").strip():
        raise _fail("prompt", prompt, "is required with reference_images: say what the references do")
    effective = with_defaults(body, spec)
    duration = int(effective["duration"])
    if duration != REFERENCE_DURATION:
        raise _fail(
            "duration", duration, f"with reference_images only duration={REFERENCE_DURATION} is supported"
        )
    aspect_ratio = effective["aspectRatio"]
    if rules.reject_portrait_with_reference_images and aspect_ratio == "9:16":
        raise _fail("aspectRatio", aspect_ratio, "'9:16' is not supported with reference_images; use '16:9'")


def with_defaults(body: Mapping[str, Any], spec: Veo31Spec = VEO31) -> dict[str, Any]:
    """The effective request: a copy of ``body`` with :data:`API_DEFAULTS` filled in for every unset
    (absent or ``null``) input of ``spec``. Validate ``body`` first; this neither validates nor drops.

    >>> with_defaults({"prompt": "a fox", "duration": 4})["resolution"]
    '720p'
    """
    effective = dict(body)
    for key, default in API_DEFAULTS.items():
        if spec.takes(key) and effective.get(key) is None:
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


def _api_body(request: Any, python_names: Sequence[str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for python_name in python_names:
        value = getattr(request, python_name)
        if value is None:
            continue
        if python_name == "reference_images" and isinstance(value, (list, tuple)):
            value = list(value)
        body[API_FIELDS[python_name]] = value
    return body


_GENERATE_PARAMETERS: Final = VEO31.python_inputs  # the full model takes every generation input


@dataclass(frozen=True)
class Veo31Request:
    """A generation request (``model_veo3-1``, ``-fast`` or ``-lite``) with Python names; validated on
    construction against the rules of ``model_id``. A parameter the model does not take is refused
    naming the model.

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
    model_id: str = MODEL_ID
    rules: Veo31Rules = field(default=DEFAULT_RULES, compare=False, repr=False)

    def __post_init__(self) -> None:
        spec = self.spec
        body = _api_body(self, _GENERATE_PARAMETERS)
        _check_fields(body, spec)  # whatever the rules: never send a model what it does not take
        validate_api_body(body, self.rules, spec)

    @property
    def spec(self) -> Veo31Spec:
        return generate_spec(self.model_id)

    def to_api_body(self) -> dict[str, Any]:
        """The JSON body for ``POST /generate/custom/{model_id}``: camelCase, unset fields omitted."""
        return _api_body(self, _GENERATE_PARAMETERS)


@dataclass(frozen=True)
class Veo31ExtendRequest:
    """One Extend call (``model_veo3-1-extend-video``): the video to continue and what happens next.

    >>> Veo31ExtendRequest(video="asset_a", prompt="the fox runs on").to_api_body()["generateAudio"]
    True
    """

    video: str
    prompt: str | None = None
    generate_audio: bool = DEFAULT_GENERATE_AUDIO
    seed: int | None = None
    rules: Veo31Rules = field(default=DEFAULT_RULES, compare=False, repr=False)

    model_id: ClassVar[str] = EXTEND_MODEL_ID

    def __post_init__(self) -> None:
        validate_api_body(self.to_api_body(), self.rules, VEO31_EXTEND)

    def to_api_body(self) -> dict[str, Any]:
        """The JSON body for ``POST /generate/custom/model_veo3-1-extend-video``."""
        return _api_body(self, VEO31_EXTEND.python_inputs)
