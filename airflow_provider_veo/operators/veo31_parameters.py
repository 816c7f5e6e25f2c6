"""From the operator's (possibly templated) Veo 3.1 arguments to a validated :class:`Veo31Request`.

The rules themselves live in :mod:`airflow_provider_veo.models.veo31`; this module only decides what
is known at DAG parse time, converts what Jinja renders as text (``"8"``, ``"true"``) and names the
task in every validation error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from airflow.sdk import ObjectStoragePath

from airflow_provider_veo.exceptions import InvalidParameterError
from airflow_provider_veo.models.veo31 import (
    DEFAULT_RULES,
    MODEL_ID,
    Veo31Request,
    Veo31Rules,
    generate_spec,
    parameter_label,
)
from airflow_provider_veo.models.veo31_family import VEO31
from airflow_provider_veo.operators.image_inputs import image_label

VEO31_PARAMETERS: Final = VEO31.python_inputs
"""The operator arguments that are Veo 3.1 generation parameters (snake_case), in the reference's order."""

#: Values whose type says they are final at parse time (anything else, e.g. an XComArg, is not).
_KNOWN_TYPES = (type(None), bool, int, float, dict, bytes, bytearray, os.PathLike, ObjectStoragePath)


def is_templated(value: Any) -> bool:
    """Whether a value is only known at run time: a Jinja string, an XComArg, a list holding one, ..."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, (list, tuple)):
        return any(is_templated(item) for item in value)
    return not isinstance(value, _KNOWN_TYPES)


@contextmanager
def naming_task(task_id: str) -> Iterator[None]:
    """Re-raise an :class:`InvalidParameterError` raised inside with ``task_id`` in its message."""
    try:
        yield
    except InvalidParameterError as error:
        raise error.for_task(task_id) from None


def veo31_request(
    parameters: Mapping[str, Any], rules: Veo31Rules = DEFAULT_RULES, *, model_id: Any = MODEL_ID
) -> Veo31Request:
    """Build (and so validate, under ``rules`` and the rules of ``model_id``) the request; missing
    parameters take the model's defaults.

    Image inputs are kept as given (asset id, path or URI, as text): they are uploaded only on submit.
    """
    generate_spec(model_id)  # the model first: its rules decide what the parameters may be
    converted = {name: _CONVERTERS.get(name, _same)(name, value) for name, value in parameters.items()}
    return Veo31Request(**converted, model_id=model_id, rules=rules)


def check_at_parse_time(parameters: Mapping[str, Any], model_id: Any, rules: Veo31Rules) -> None:
    """Validate what is known when the DAG is parsed; the rest is validated after templating.

    Templated parameters take the model's defaults, which satisfy every value rule. The cross-field
    rules that a templated parameter could still satisfy are left to run time: a templated
    ``prompt`` may fill the prompt that reference images need, templated ``reference_images`` may
    give ``reference_images_type`` its references. A templated ``model_id`` is judged after
    templating; until then the parameters are checked against ``model_veo3-1``, which takes all.
    """
    static = {name: value for name, value in parameters.items() if not is_templated(value)}
    if "prompt" not in static:
        rules = dataclasses.replace(rules, require_prompt_with_reference_images=False)
    if "reference_images" not in static:
        rules = dataclasses.replace(rules, reject_reference_images_type_alone=False)
    veo31_request(static, rules, model_id=MODEL_ID if is_templated(model_id) else model_id)


def request_fingerprint(model_id: str, request: Veo31Request) -> str:
    """SHA-256 of what is asked (model and parameters, images as given): tells a retry from a changed task."""
    text = json.dumps({"model_id": model_id, "body": request.to_api_body()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def image_input(name: str, value: Any) -> str:
    """The text form of one image input; anything but a string or a path is refused naming ``name``."""
    if not isinstance(value, (str, os.PathLike, ObjectStoragePath)):
        raise InvalidParameterError(
            parameter_label(name),
            value,
            f"must be an asset id, a path or a URI (str, os.PathLike or ObjectStoragePath), "
            f"not {type(value).__name__}",
        )
    return image_label(value)


def _same(name: str, value: Any) -> Any:
    return value


def _image(name: str, value: Any) -> str | None:
    return None if value is None else image_input(name, value)


def _images(name: str, value: Any) -> Any:
    """Image labels; a value that is not a list or tuple is passed on for the request to reject."""
    if isinstance(value, (list, tuple)):
        return [image_input(name, item) for item in value]
    return value


def as_int(value: Any) -> Any:
    """``"8"`` -> 8; anything else unchanged, for the request to judge (naming the parameter)."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def as_bool(value: Any) -> Any:
    """``"true"`` / ``"false"`` (any case) -> bool; anything else unchanged, for the request to judge."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


_CONVERTERS: Final[dict[str, Callable[[str, Any], Any]]] = {
    "image": _image,
    "last_frame_image": _image,
    "reference_images": _images,
    "generate_audio": lambda _, value: as_bool(value),
    "duration": lambda _, value: as_int(value),
    "seed": lambda _, value: as_int(value),
}


def positive_number(name: str, value: Any) -> float:
    """``value`` if it is a finite number > 0 (not a bool, not a string), else InvalidParameterError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidParameterError(name, value, "must be a finite number greater than 0")
    return float(value)
