"""Connection + environment -> settings: base URL rule, extras coercion, env fallback, clear errors."""

from __future__ import annotations

import json

import pytest
from airflow.sdk import Connection

from airflow_provider_veo.exceptions import ScenarioConfigurationError
from airflow_provider_veo.hooks.connection_settings import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    DEFAULT_WEB_URL,
    USER_AGENT,
    missing_connection,
    normalize_base_url,
    resolve_settings,
)


def _conn(**kwargs: object) -> Connection:
    extra = kwargs.pop("extra", None)
    return Connection(
        conn_id="scenario_default",
        conn_type="scenario",
        extra=json.dumps(extra) if extra is not None else None,
        **kwargs,  # type: ignore[arg-type]
    )


def _resolve(conn: Connection | None, environ: dict[str, str] | None = None, **kwargs: object):
    return resolve_settings(
        conn,
        conn_id="scenario_default",
        extras=conn.extra_dejson if conn is not None else {},
        environ=environ or {},
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("https://api.cloud.scenario.com/v1", None, "https://api.cloud.scenario.com/v1"),
        ("https://api.cloud.scenario.com/v1/", None, "https://api.cloud.scenario.com/v1"),
        ("https://api.cloud.scenario.com", None, "https://api.cloud.scenario.com/v1"),
        ("api.cloud.scenario.com", None, "https://api.cloud.scenario.com/v1"),
        ("api.cloud.scenario.com/v1", None, "https://api.cloud.scenario.com/v1"),
        ("127.0.0.1", 8000, "http://127.0.0.1:8000/v1"),
        ("localhost:9000/v1", None, "http://localhost:9000/v1"),
        ("http://127.0.0.1:8000/v1", 9999, "http://127.0.0.1:8000/v1"),
        ("https://proxy.example.com/scenario/", None, "https://proxy.example.com/scenario/v1"),
        ("  https://api.cloud.scenario.com/v1  ", None, "https://api.cloud.scenario.com/v1"),
        ("https://k:s@api.cloud.scenario.com", None, "https://api.cloud.scenario.com/v1"),
    ],
)
def test_normalize_base_url(host: str, port: int | None, expected: str) -> None:
    assert normalize_base_url(host, port=port) == expected


def test_normalize_base_url_rejects_a_url_without_host() -> None:
    with pytest.raises(ScenarioConfigurationError, match="no host name"):
        normalize_base_url("https:///v1")


def test_connection_fields_and_json_extras() -> None:
    conn = _conn(
        host="http://127.0.0.1:8000",
        login="key",
        password="secret",
        extra={"project_id": "proj_1", "timeout": 5, "web_url": "https://app.example.com/"},
    )
    settings = _resolve(conn)
    assert settings.base_url == "http://127.0.0.1:8000/v1"
    assert (settings.api_key, settings.api_secret) == ("key", "secret")
    assert settings.project_id == "proj_1"
    assert settings.timeout == 5.0
    assert settings.connect_timeout == 5.0
    assert settings.web_url == "https://app.example.com"
    assert settings.authorization == "Basic a2V5OnNlY3JldA=="


def test_uri_connection_string_extras_are_coerced() -> None:
    conn = Connection.from_uri(
        "scenario://key:secret@127.0.0.1:8000/?timeout=5&project_id=p", "scenario_default"
    )
    settings = _resolve(conn)
    assert settings.base_url == "http://127.0.0.1:8000/v1"
    assert settings.timeout == 5.0
    assert settings.project_id == "p"


def test_legacy_prefixed_extras_are_read() -> None:
    conn = _conn(
        login="k",
        password="s",
        extra={"extra__scenario__project_id": "legacy", "extra__scenario__timeout": "12.5"},
    )
    settings = _resolve(conn)
    assert settings.project_id == "legacy"
    assert settings.timeout == 12.5


def test_defaults_without_host_or_extras() -> None:
    settings = _resolve(_conn(login="k", password="s"))
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.timeout == DEFAULT_TIMEOUT
    assert settings.connect_timeout == 10.0
    assert settings.web_url == DEFAULT_WEB_URL
    assert settings.project_id is None


def test_hook_project_id_overrides_the_extra() -> None:
    conn = _conn(login="k", password="s", extra={"project_id": "from_conn"})
    assert _resolve(conn, project_id="from_hook").project_id == "from_hook"


@pytest.mark.parametrize("timeout", ["soon", 0, "-1"])
def test_invalid_timeout_is_a_configuration_error(timeout: object) -> None:
    with pytest.raises(ScenarioConfigurationError, match="timeout"):
        _resolve(_conn(login="k", password="s", extra={"timeout": timeout}))


def test_env_fallback_for_missing_credentials_and_base_url() -> None:
    environ = {
        "SCENARIO_SDK_API_KEY": "env-key",
        "SCENARIO_SDK_API_SECRET": "env-secret",
        "SCENARIO_BASE_URL": "http://127.0.0.1:1234",
    }
    settings = _resolve(_conn(), environ)
    assert (settings.api_key, settings.api_secret) == ("env-key", "env-secret")
    assert settings.base_url == "http://127.0.0.1:1234/v1"
    # No connection at all (the default one may be absent): everything from the environment.
    assert _resolve(None, environ).api_key == "env-key"
    # The connection wins over the environment.
    assert _resolve(_conn(login="k", password="s", host="h.example.com"), environ).base_url == (
        "https://h.example.com/v1"
    )


def test_no_credentials_anywhere_says_how_to_configure_them() -> None:
    with pytest.raises(ScenarioConfigurationError) as info:
        _resolve(_conn(login="only-key"))
    message = str(info.value)
    assert "API secret" in message
    assert "API key" not in message.split("configured")[0]
    assert "SCENARIO_SDK_API_KEY" in message
    assert "SCENARIO_SDK_API_SECRET" in message
    assert "'scenario_default'" in message


def test_missing_connection_is_fine_only_for_the_default_id() -> None:
    missing_connection("scenario_default")
    with pytest.raises(ScenarioConfigurationError, match="'scenario_typo' is not defined"):
        missing_connection("scenario_typo")


def test_settings_repr_hides_credentials() -> None:
    settings = _resolve(_conn(login="the-key-123", password="the-secret-456"))
    text = repr(settings)
    for secret in settings.secrets:
        assert secret not in text
    assert "base_url" in text


def test_query_adds_project_and_drops_none() -> None:
    settings = _resolve(_conn(login="k", password="s", extra={"project_id": "p1"}))
    assert settings.query({"a": None, "b": 2, "c": True}) == {"b": "2", "c": "true", "projectId": "p1"}


def test_user_agent_names_provider_airflow_and_python() -> None:
    provider, airflow, python = USER_AGENT.split(" ")
    assert provider.startswith("airflow-provider-veo/")
    assert airflow.startswith("apache-airflow/3.")
    assert python.startswith("python/3.")
