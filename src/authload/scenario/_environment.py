"""Environments: where the load goes and with which credentials.

`config/NAME.yaml` describes either the embedded mock (`backend: mock`) or a
real CometChat app (`backend: cometchat`). Hosts are built as CometChat builds
them, `https://{app_id}.api-{region}.cometchat.io` for REST and
`https://{app_id}.apiclient-{region}.cometchat.io` for the client API, unless
overridden. Keys are `${VAR}` references, resolved by the loader and held as
`SecretStr`, so they print as `**********`.

Everything that goes into a URL or a header is checked here, so a bad value is
a configuration error (exit 2) naming the field, never its value:

- `app_id`: one DNS label, letters, digits and inner hyphens, at most 63
  characters (CometChat app ids are hex strings). Nothing that could end or
  change the host (`evil.com/x#` would send the REST key elsewhere).
- `region`: one of `us`, `eu`, `in`, `private`.
- `rest_base_url`, `client_base_url`: `http(s)://host[:port][/path]`, port
  1-65535; no user info, query, fragment or whitespace.
- `rest_api_key`, `auth_key`, `app_headers` values: a valid HTTP header
  value, visible ASCII (inner spaces allowed), no line breaks, NUL or other
  control characters, no leading or trailing whitespace (a CRLF `.env` file
  leaves a `\r`); header names are HTTP tokens.
- `app_base_url`: the app's own server (`http` steps' relative URLs), checked
  like the other URLs; `extra_hosts`: host names an `http` step's absolute URL
  may name besides the environment's own hosts (an app secret goes nowhere else).
- `tls`: certificates are verified; `ca_file` (PEM, relative to this file)
  adds a CA to the system's roots, `verify: false` turns verification off.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from ..mock import MockConfig
from ..protocol import wire
from ..protocol._http_step import HEADER_VALUE

_APP_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
_URL_TEXT = re.compile(r"[\x21-\x7e]+")
_HOST = re.compile(r"[a-z0-9._-]+|[0-9a-f:.]+")  # a name or IPv4 address, or an IPv6 literal


class Tls(BaseModel):
    """How HTTPS and WSS connections are checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ca_file: str | None = Field(None, description="PEM file of CA certificates added to the system's roots")
    verify: bool = Field(True, description="false: certificates are not verified (the run says so)")

    @model_validator(mode="after")
    def _consistent(self) -> Tls:
        if self.ca_file is not None and not self.verify:
            raise ValueError("ca_file has no use with verify: false; give one or the other")
        return self


class Environment(BaseModel):
    """One environment file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    backend: Literal["mock", "cometchat"]
    production: bool = Field(False, description="refuses Auth Key logins unless allowed")
    allow_auth_key: bool = Field(False, description="let a production run log in with the Auth Key")
    app_id: str | None = None
    region: Literal["us", "eu", "in", "private"] = "us"
    rest_base_url: str | None = Field(None, description="default: built from app_id and region")
    client_base_url: str | None = Field(None, description="default: built from app_id and region")
    rest_api_key: SecretStr | None = None
    auth_key: SecretStr | None = None
    app_base_url: str | None = Field(
        None, description="the app's own server: where http steps' relative URLs go (mock: its /app)"
    )
    app_headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="headers of every http step, e.g. the app's session (${VAR}s)"
    )
    extra_hosts: tuple[str, ...] = Field(
        (), description="host names an http step's absolute URL may name besides this environment's own"
    )
    tls: Tls = Field(default_factory=Tls)
    timeout: float = Field(10.0, gt=0, le=300, description="seconds per request")
    mock: MockConfig | None = None

    @field_validator("app_id")
    @classmethod
    def _valid_app_id(cls, value: str | None) -> str | None:
        if value is not None and not _APP_ID.fullmatch(value):
            raise ValueError("must be letters, digits and inner hyphens, at most 63 (a CometChat app id)")
        return value

    @field_validator("rest_api_key", "auth_key")
    @classmethod
    def _header_value(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty Auth Key means "none" (`${COMETCHAT_AUTH_KEY:-}`); anything else is sent as a header.
        if value is not None and value.get_secret_value():
            _check_header_value(value.get_secret_value())
        return value

    @field_validator("app_base_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # `${APP_BASE_URL:-}` in a template: no app server named (http steps say so if they need one).
        return None if value == "" else value

    @field_validator("app_headers")
    @classmethod
    def _headers(cls, headers: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an HTTP header name")
            _check_header_value(value.get_secret_value())
        return headers

    @field_validator("extra_hosts")
    @classmethod
    def _hosts(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        for host in hosts:
            if not _HOST.fullmatch(host.lower()):
                raise ValueError(f"{host!r} is not a host name or address")
        return tuple(host.lower() for host in hosts)

    @field_validator("rest_base_url", "client_base_url", "app_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None:
            problem = _url_problem(value)
            if problem:
                raise ValueError(f"must be http(s)://host[:port][/path]: {problem}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Environment:
        if self.backend == "cometchat":
            if self.mock is not None:
                raise ValueError("`mock` settings only apply to backend: mock")
            missing = [name for name in ("app_id", "rest_api_key") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"backend: cometchat needs {', '.join(missing)}")
        return self

    @property
    def embedded_mock(self) -> bool:
        """Whether authload starts the mock itself (no URL given)."""
        return self.backend == "mock" and self.rest_base_url is None

    def mock_config(self) -> MockConfig:
        """The mock's settings (defaults when the file gives none)."""
        return self.mock or MockConfig()

    def resolve(self, base_url: str | None = None) -> Target:
        """Concrete hosts and keys; `base_url` is where an embedded mock listens."""
        headers = {name: value.get_secret_value() for name, value in self.app_headers.items()}
        common = {
            "timeout": self.timeout,
            "extra_hosts": self.extra_hosts,
            "tls_verify": self.tls.verify,
            "ca_pem": _read_pem(self.tls.ca_file),
        }
        if self.backend == "mock":
            mock = self.mock_config()
            url = base_url or self.rest_base_url or ""
            # The mock's sample app server, unless the file names an app server of its own.
            default_headers = (
                {} if self.app_base_url else {wire.H_AUTHORIZATION: wire.BEARER + mock.app_secret}
            )
            return Target(
                app_id=self.app_id or mock.app_id,
                rest_base_url=url,
                client_base_url=self.client_base_url or url,
                app_base_url=self.app_base_url or url + wire.APP_PREFIX,
                rest_api_key=_reveal(self.rest_api_key) or mock.rest_api_key,
                auth_key=_reveal(self.auth_key) or mock.auth_key,
                app_headers={**default_headers, **headers},
                **common,
            )
        app_id = self.app_id or ""
        return Target(
            app_id=app_id,
            rest_base_url=self.rest_base_url or f"https://{app_id}.api-{self.region}.cometchat.io",
            client_base_url=self.client_base_url or f"https://{app_id}.apiclient-{self.region}.cometchat.io",
            app_base_url=self.app_base_url or "",
            rest_api_key=_reveal(self.rest_api_key),
            auth_key=_reveal(self.auth_key),
            app_headers=headers,
            **common,
        )

    def allowed_hosts(self) -> set[str]:
        """Host names an http step's absolute URL may name: this environment's own and `extra_hosts`
        (an embedded mock listens on loopback)."""
        hosts = set(self.extra_hosts)
        if self.embedded_mock:
            hosts.update(_LOOPBACK_HOSTS)
        target = self.resolve("http://127.0.0.1")
        for url in (target.rest_base_url, target.client_base_url, target.app_base_url):
            host = urlsplit(url).hostname
            if host:
                hosts.add(host)
        return hosts


class Target(BaseModel):
    """Resolved hosts and credentials. Never logged: its repr hides the keys."""

    model_config = ConfigDict(frozen=True)

    app_id: str
    rest_base_url: str
    client_base_url: str
    rest_api_key: str = Field(repr=False)
    auth_key: str = Field(repr=False)
    app_base_url: str = ""  # "" when the environment names no app server
    app_headers: dict[str, str] = Field(default_factory=dict, repr=False)  # the app's session, ...
    extra_hosts: tuple[str, ...] = ()
    tls_verify: bool = True
    ca_pem: str = Field("", repr=False)
    timeout: float = 10.0

    def secrets(self) -> list[str]:
        """The values a report must never contain."""
        values = [self.rest_api_key, self.auth_key, *self.app_headers.values()]
        # "Bearer abc": the whole value, and the credential after its scheme.
        values += [value.partition(" ")[2] for value in self.app_headers.values()]
        return [value for value in values if value]

    def base_urls(self) -> dict[str, str]:
        """The base URL of each host kind a request may name (`app` only when there is one)."""
        urls = {"rest": self.rest_base_url, "client": self.client_base_url}
        if self.app_base_url:
            urls["app"] = self.app_base_url
        return urls


def _url_problem(url: str) -> str | None:
    """Why `url` is not a plain base URL, or None."""
    if not _URL_TEXT.fullmatch(url):
        return "whitespace, control or non-ASCII characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a URL (or a port outside 1-65535)"
    if parts.scheme not in ("http", "https"):
        return f"the scheme must be http or https, not {parts.scheme or 'missing'!r}"
    if not parts.hostname or not _HOST.fullmatch(parts.hostname):
        return "no host, or a host that is not a name or an address"
    if parts.username is not None or parts.password is not None:
        return "no user or password in the URL"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "no query (?) or fragment (#)"
    if port == 0:
        return "port 0"
    return None


def _reveal(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


def _check_header_value(value: str) -> None:
    if not HEADER_VALUE.fullmatch(value):
        raise ValueError(
            "cannot be sent as an HTTP header: it holds a line break, a control or non-ASCII "
            "character, or leading/trailing whitespace (value not shown)"
        )


def _read_pem(path: str | None) -> str:
    """The CA file's text (checked when the environment was loaded; see `_loader`)."""
    if path is None:
        return ""
    with open(path, encoding="ascii") as handle:
        return handle.read()
