"""The ``scenario`` connection form for Airflow 3.0 and 3.1, from the provider info (one source of truth).

Airflow 3.2+ reads ``ui-field-behaviour`` and ``conn-fields`` from the provider info. Airflow 3.0 and
3.1 ignore both and ask the hook class instead (``get_ui_field_behaviour`` and
``get_connection_form_widgets``), importing wtforms first: 3.1's API server mocks it when it is not
installed, 3.0's shows the form's extra fields only where wtforms is installed (the FAB provider
brings it). The fields are plain wtforms fields, imported inside the call.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_veo.get_provider_info import get_provider_info


def _connection_type() -> dict[str, Any]:
    (connection_type,) = get_provider_info()["connection-types"]
    return dict(connection_type)


def ui_field_behaviour() -> dict[str, Any]:
    """Hidden, relabelled and placeholder standard fields, in the hook-method spelling."""
    return {key.replace("-", "_"): value for key, value in _connection_type()["ui-field-behaviour"].items()}


def connection_form_widgets() -> dict[str, Any]:
    """One optional text field per extra (``project_id``, ``timeout``, ``web_url``)."""
    from wtforms import StringField  # type: ignore[import-untyped]
    from wtforms.validators import Optional  # type: ignore[import-untyped]

    return {
        name: StringField(field["label"], validators=[Optional()], description=field["description"])
        for name, field in _connection_type()["conn-fields"].items()
    }
