"""From the operator's (possibly templated) Veo 3.1 arguments to a validated :class:`Veo31Request`.

The rules themselves live in :mod:`airflow_provider_veo.models.veo31`; this module only decides what
is known at DAG parse time and converts what Jinja renders as text (``"8"``, ``"true"``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from typing import Any, Final

from airflow.sdk import ObjectStoragePath

from airflow_provider_veo.models.veo31 import API_FIELDS, DEFAULT_RULES, Veo31Request, Veo31Rules
from airflow_provider_veo.operators.image_inputs import image_label

VEO31_PARAMETERS: Final = tuple(API_FIELDS)
"""The operator arguments that are Veo 3.1 parameters (snake_case), in the reference's order."""

_KNOWN_TYPES = (type(None), bool, int, float, os.PathLike, ObjectStoragePath)


def is_templated(value: Any) -> bool:
    """Whether a value is only known at run time: a Jinja string, an XComArg, a list holding one, ..."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, (list, tuple)):
        return any(is_templated(item) for item in value)
    return not isinstance(value, _KNOWN_TYPES)


def veo31_request(parameters: Mapping[str, Any], rules: Veo31Rules = DEFAULT_RULES) -> Veo31Request:
    """Build (and so validate, under ``rules``) the request; missing parameters take the model's defaults.

    Image inputs are kept as given (asset id, path or URI, as text): they are uploaded only on submit.
    """
    converted = {name: _CONVERTERS.get(name, _same)(value) for name, value in parameters.items()}
    return Veo31Request(**converted, rules=rules)


def known_at_parse_time(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters that are not templated.

    Validating them alone never fails a valid task: the templated ones take the model's defaults,
    which satisfy every cross-field rule (under any :class:`Veo31Rules`), and are validated after
    templating.
    """
    return {name: value for name, value in parameters.items() if not is_templated(value)}


def request_fingerprint(model_id: str, request: Veo31Request) -> str:
    """SHA-256 of what is asked (model and parameters, images as given): tells a retry from a changed task."""
    text = json.dumps({"model_id": model_id, "body": request.to_api_body()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _same(value: Any) -> Any:
    return value


def _image(value: Any) -> str | None:
    return None if value is None else image_label(value)


def _images(value: Any) -> Any:
    """Image labels; a value that is not a list or tuple is passed on for the request to reject."""
    return [image_label(item) for item in value] if isinstance(value, (list, tuple)) else value


def _int(value: Any) -> Any:
    """``"8"`` -> 8; anything else unchanged, for the request to judge."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _bool(value: Any) -> Any:
    """``"true"`` / ``"false"`` (any case) -> bool; anything else unchanged, for the request to judge."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


_CONVERTERS: Final[dict[str, Callable[[Any], Any]]] = {
    "image": _image,
    "last_frame_image": _image,
    "reference_images": _images,
    "generate_audio": _bool,
    "duration": _int,
    "seed": _int,
}
