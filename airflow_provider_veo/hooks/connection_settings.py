"""Turn a ``scenario`` Airflow connection (plus the official SDKs' environment variables) into settings.

Used by both :class:`~airflow_provider_veo.hooks.scenario.ScenarioHook` and
:class:`~airflow_provider_veo.hooks.scenario_async.ScenarioAsyncHook`; each hook only fetches the
connection its own way (sync or async) and hands the pieces to :func:`resolve_settings`.

Resolution rules:

* API key / secret: the connection's login / password; a missing one falls back to
  ``SCENARIO_SDK_API_KEY`` / ``SCENARIO_SDK_API_SECRET``.
* Base URL: the connection's host, else ``SCENARIO_BASE_URL``, else ``https://api.cloud.scenario.com/v1``,
  normalised by :func:`normalize_base_url`.
* Extras ``project_id``, ``timeout``, ``web_url`` and ``allow_insecure_http`` (legacy
  ``extra__scenario__<field>`` keys are accepted too); values from a URI-style connection arrive as
  strings and are coerced.
* Transport: only ``https://`` is accepted, and ``http://`` to a loopback host (the emulator). Plain
  ``http://`` elsewhere would send the Basic token in clear: it is refused unless the connection sets
  ``allow_insecure_http`` (then a warning is logged on every use). The host is lower-cased and
  IDNA-encoded, so both hooks compare origins the same way (see :func:`origin`).
* When the *default* connection (``scenario_default``) does not exist at all, everything comes from
  the environment; a missing non-default connection is an error (most likely a typo).
"""

from __future__ import annotations

import base64
import ipaddress
import math
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from importlib import metadata
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_veo import __version__
from airflow_provider_veo.exceptions import ScenarioConfigurationError

if TYPE_CHECKING:
    from airflow.sdk import Connection

DEFAULT_CONN_ID = "scenario_default"
DEFAULT_BASE_URL = "https://api.cloud.scenario.com/v1"
DEFAULT_WEB_URL = "https://app.scenario.com"
DEFAULT_TIMEOUT = 60.0
API_VERSION_PATH = "/v1"

ENV_API_KEY = "SCENARIO_SDK_API_KEY"
ENV_API_SECRET = "SCENARIO_SDK_API_SECRET"  # noqa: S105 - the name of a variable, not a secret
ENV_BASE_URL = "SCENARIO_BASE_URL"

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
ALLOWED_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in _LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _idna_host(host: str) -> str:
    host = host.strip("[]").lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ScenarioConfigurationError(f"The host {host!r} is not a valid host name") from None


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a URL: scheme and host lower-cased, host IDNA-encoded, port made
    explicit. Credentials are attached by comparing these, never URL prefixes.

    >>> origin("HTTPS://Api.Example.COM/v1") == origin("https://api.example.com:443/v1/jobs")
    True
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = _idna_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme, -1)


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


USER_AGENT = (
    f"airflow-provider-veo/{__version__} apache-airflow/{_package_version('apache-airflow')} "
    f"python/{'.'.join(platform.python_version_tuple()[:2])}"
)


@dataclass(frozen=True)
class ScenarioConnectionSettings:
    """Everything a hook needs to talk to the API; credentials are kept out of ``repr``."""

    base_url: str
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    project_id: str | None
    timeout: float
    web_url: str
    allow_insecure_http: bool = False

    @property
    def basic_token(self) -> str:
        """``base64("<key>:<secret>")``: a secret in its own right (register it with the masker)."""
        return base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode("ascii")

    @property
    def authorization(self) -> str:
        """The value of the ``Authorization`` header."""
        return f"Basic {self.basic_token}"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in logs or errors."""
        return (self.api_key, self.api_secret, self.basic_token)

    def query(self, params: Mapping[str, Any] | None = None) -> dict[str, str]:
        """Query string of an API call: ``params`` minus ``None`` values, plus ``projectId`` when set."""
        query = {name: _query_value(value) for name, value in (params or {}).items() if value is not None}
        if self.project_id:
            query["projectId"] = self.project_id
        return query

    @property
    def insecure(self) -> bool:
        """Whether credentials travel in clear (``http://`` to a host that is not loopback)."""
        scheme, host, _ = origin(self.base_url)
        return scheme == "http" and not is_loopback(host)

    def is_api_url(self, url: str) -> bool:
        """Whether ``url`` is under the API root (same origin, path below it): only those get credentials."""
        if origin(url) != origin(self.base_url):
            return False
        root = urlsplit(self.base_url).path.rstrip("/") + "/"
        return (urlsplit(url).path.rstrip("/") + "/").startswith(root)

    @property
    def connect_timeout(self) -> float:
        """Timeout of the TCP/TLS connect phase: the request timeout, at most 10 s."""
        return min(self.timeout, 10.0)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):  # e.g. JobStatus: its value, not "JobStatus.QUEUED"
        return str(value.value)
    return str(value)


def normalize_base_url(host: str, *, port: int | None = None, allow_insecure_http: bool = False) -> str:
    """Return the API root (``scheme://host[:port]/.../v1``, no trailing slash) for a connection host.

    * No scheme: ``https://`` is assumed, except ``http://`` for loopback hosts (``localhost``,
      ``127.0.0.1``, ``::1``), because a URI-style connection cannot carry a scheme.
    * Only ``https``, and ``http`` to loopback (or with ``allow_insecure_http``), are accepted.
    * ``port`` (the connection's port field) is added when the host does not name one; user info
      (``user:password@``) is dropped; the host is lower-cased and IDNA-encoded.
    * The path is kept and ``/v1`` appended unless it already ends with it:
      ``api.cloud.scenario.com`` -> ``https://api.cloud.scenario.com/v1``;
      ``http://127.0.0.1:8000/v1/`` -> ``http://127.0.0.1:8000/v1``.
    """
    text = host.strip()
    if "://" not in text:
        scheme = "http" if is_loopback(urlsplit(f"//{text}").hostname) else "https"
        text = f"{scheme}://{text}"
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise ScenarioConfigurationError(
            f"The Scenario API base URL {host!r} uses the scheme {scheme!r}: only https (and http to "
            "a loopback host such as the emulator) is allowed"
        )
    if not parts.hostname:
        raise ScenarioConfigurationError(f"The Scenario API base URL {host!r} has no host name")
    hostname = _idna_host(parts.hostname)
    if scheme == "http" and not is_loopback(hostname) and not allow_insecure_http:
        raise ScenarioConfigurationError(
            f"The Scenario API base URL {host!r} is plain http to a host that is not loopback: the API "
            "key and secret would travel in clear. Use https, or set the connection extra "
            "allow_insecure_http=true if you really mean it (e.g. a TLS-terminating proxy on a private net)"
        )
    try:
        explicit_port = parts.port
    except ValueError:
        raise ScenarioConfigurationError(f"The Scenario API base URL {host!r} has an invalid port") from None
    if explicit_port is None:
        explicit_port = port
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    if explicit_port is not None:
        netloc = f"{netloc}:{explicit_port}"
    path = parts.path.rstrip("/")
    if not path.endswith(API_VERSION_PATH):
        path += API_VERSION_PATH
    return urlunsplit((scheme, netloc, path, "", ""))


def _extra(extras: Mapping[str, Any], name: str) -> Any:
    value = extras.get(name)
    if value in (None, ""):
        value = extras.get(f"extra__scenario__{name}")
    return None if value == "" else value


def _timeout(value: Any) -> float:
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        timeout = math.nan
    if isinstance(value, bool) or not math.isfinite(timeout) or timeout <= 0:
        raise ScenarioConfigurationError(
            f"The 'timeout' extra of the Scenario connection must be a finite, positive number of "
            f"seconds, got {value!r}"
        )
    return timeout


def _flag(value: Any) -> bool:
    """A boolean extra (URI-style connections give strings)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return value is True


def missing_connection(conn_id: str) -> None:
    """Handle a connection id that no backend knows: fine for the default one, an error otherwise."""
    if conn_id != DEFAULT_CONN_ID:
        raise ScenarioConfigurationError(
            f"The Airflow connection {conn_id!r} is not defined. Create it (type 'scenario'), or use "
            f"{DEFAULT_CONN_ID!r} / the environment variables {ENV_API_KEY} and {ENV_API_SECRET}."
        )


def resolve_settings(
    conn: Connection | None,
    *,
    conn_id: str,
    extras: Mapping[str, Any],
    project_id: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ScenarioConnectionSettings:
    """Build the settings from a connection (``None`` when it does not exist) and its decoded extras.

    ``project_id`` (the hook's argument) overrides the connection's ``project_id`` extra.
    """
    env = os.environ if environ is None else environ
    host = conn.host if conn is not None else None
    api_key = (conn.login if conn is not None else None) or env.get(ENV_API_KEY) or ""
    api_secret = (conn.password if conn is not None else None) or env.get(ENV_API_SECRET) or ""
    if not api_key or not api_secret:
        missing = " and ".join(
            what for what, value in (("API key", api_key), ("API secret", api_secret)) if not value
        )
        if conn is None:
            raise ScenarioConfigurationError(
                f"The Airflow connection {conn_id!r} was not found from this process, and the "
                f"environment variables {ENV_API_KEY} / {ENV_API_SECRET} are not set. If the connection "
                "is stored in the metadata database and this is a trigger run in line by `airflow dags "
                "test` or `dag.test()`, the trigger cannot read the database there: define the connection "
                f"as an environment variable (AIRFLOW_CONN_{conn_id.upper()}) or in a secrets backend, or "
                "run the DAG on a deployment with a triggerer."
            )
        raise ScenarioConfigurationError(
            f"No Scenario {missing} configured. Set the login (API key) and password (API secret) of the "
            f"Airflow connection {conn_id!r} (type 'scenario'), or the environment variables "
            f"{ENV_API_KEY} and {ENV_API_SECRET}."
        )
    insecure_ok = _flag(_extra(extras, "allow_insecure_http"))
    if host:
        base_url = normalize_base_url(
            host, port=conn.port if conn is not None else None, allow_insecure_http=insecure_ok
        )
    else:
        base_url = normalize_base_url(
            env.get(ENV_BASE_URL) or DEFAULT_BASE_URL, allow_insecure_http=insecure_ok
        )
    project = project_id or _extra(extras, "project_id")
    web_url = _extra(extras, "web_url") or DEFAULT_WEB_URL
    return ScenarioConnectionSettings(
        base_url=base_url,
        api_key=api_key,
        api_secret=api_secret,
        project_id=str(project) if project is not None else None,
        timeout=_timeout(_extra(extras, "timeout")),
        web_url=str(web_url).rstrip("/"),
        allow_insecure_http=insecure_ok,
    )
