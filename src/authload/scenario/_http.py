"""An `http` step in a scenario file: a request to the app's own server, checked when it loads.

```yaml
- http:
    name: app_token                 # its row in every view
    method: POST                    # GET POST PUT PATCH DELETE
    url: /chat/token                # under the environment's app_base_url, or absolute
    headers: {Authorization: "Bearer ${APP_SESSION}"}
    json: {uid: "{uid}"}            # or form: {...}, or body: "..." with content_type:
    expect_status: 200              # default: any 2xx
    capture: {token: "$.cometchat.authToken"}
```

Everything that reaches the wire is checked here, so a bad value is exit 2 naming
file:line and field: header names are HTTP tokens and values header values (no
CR/LF), the URL a path or an http(s) URL with no user info or fragment and
placeholders only after its host, bodies at most `MAX_BODY_BYTES`, capture paths
readable, placeholders known. Whether the URL's host is allowed, and whether
`{var.NAME}` and `{token}` have a value at that point of the flow, are checked
against the environment and the flow (see `_model`, `_credentials`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..protocol._http_step import HEADER_VALUE, HttpSpec, Template, parse_json_path

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_BODY_BYTES = 65_536  # a scenario's request body; a bigger one is a mistake (or an attack)
MAX_URL_BYTES = 2_048
MAX_HEADERS = 50
_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_CAPTURE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
_URL_TEXT = re.compile(r"[\x21-\x7e]+")
# Set by the driver from the body; a scenario that set them could make the request lie.
MANAGED_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer"}
APP = "app"


def _template(text: str) -> Template:
    try:
        return Template.parse(text)
    except ValueError as error:
        raise ValueError(str(error)) from None


def _json_templates(value: Any) -> Any:
    if isinstance(value, str):
        return _template(value)
    if isinstance(value, dict):
        return {str(key): _json_templates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_templates(item) for item in value]
    return value


class HttpStep(BaseModel):
    """One request to the app's server (or another host the environment allows)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(description="its row in every view; a-z0-9_, not a built-in step's name")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(description="a path under the environment's app_base_url, or an http(s) URL")
    headers: dict[str, str] = Field(default_factory=dict, description="placeholders and ${VAR}s allowed")
    json_body: Any = Field(None, alias="json", description="a JSON body; its strings may hold placeholders")
    form: dict[str, str | int | float | bool] | None = Field(None, description="a form-encoded body")
    body: str | None = Field(None, description="a raw body (with content_type)")
    content_type: str | None = None
    expect_status: int | None = Field(None, ge=100, le=599, description="default: any 2xx")
    capture: dict[str, str] = Field(
        default_factory=dict, description="name -> JSON path ($.a.b[0]); `token` sets the identity's token"
    )

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError("must be lowercase a-z, 0-9 and _, starting with a letter (at most 63)")
        return name

    @field_validator("url")
    @classmethod
    def _valid_url(cls, url: str) -> str:
        problem = _url_problem(url)
        if problem:
            raise ValueError(problem)
        _template(url)
        return url

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        if len(headers) > MAX_HEADERS:
            raise ValueError(f"at most {MAX_HEADERS} headers")
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an HTTP header name")
            if name.lower() in MANAGED_HEADERS:
                raise ValueError(f"{name} is set by authload from the request itself")
            if not isinstance(value, str) or not HEADER_VALUE.fullmatch(value):
                raise ValueError(
                    f"header {name}: a value must be visible ASCII with inner spaces, no line break "
                    "or control character (value not shown)"
                )
            _template(value)
        return headers

    @field_validator("capture")
    @classmethod
    def _valid_captures(cls, captures: dict[str, str]) -> dict[str, str]:
        for name, path in captures.items():
            if not _CAPTURE.fullmatch(name):
                raise ValueError(f"capture name {name!r} must be lowercase a-z, 0-9 and _")
            parse_json_path(path)
        return captures

    @field_validator("json_body", "form", "body")
    @classmethod
    def _valid_body(cls, value: Any) -> Any:
        if value is None:
            return value
        size = len(value.encode() if isinstance(value, str) else json.dumps(value).encode())
        if size > MAX_BODY_BYTES:
            raise ValueError(f"the body is over {MAX_BODY_BYTES // 1024} KiB")
        _json_templates(value)  # every string in it: placeholders known
        return value

    @model_validator(mode="after")
    def _one_body(self) -> HttpStep:
        given = [
            kind
            for kind, value in (("json", self.json_body), ("form", self.form), ("body", self.body))
            if value is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give one body, not {' and '.join(given)}")
        if given and self.method == "GET":
            raise ValueError("a GET sends no body")
        if self.content_type is not None and given != ["body"]:
            raise ValueError("content_type goes with body: (json: and form: set their own)")
        if self.content_type is not None and not HEADER_VALUE.fullmatch(self.content_type):
            raise ValueError("content_type must be a header value")
        return self

    def spec(self) -> HttpSpec:
        """The protocol's form of this step (templates parsed)."""
        parts = urlsplit(self.url)
        if parts.scheme:
            host, path = (
                f"{parts.scheme}://{parts.netloc}",
                self.url[len(parts.scheme) + 3 + len(parts.netloc) :],
            )
        else:
            host, path = APP, self.url
        if self.json_body is not None:
            kind, body = "json", _json_templates(self.json_body)
        elif self.form is not None:
            kind = "form"
            body = {
                key: _template(value if isinstance(value, str) else json.dumps(value))
                for key, value in self.form.items()
            }
        elif self.body is not None:
            kind, body = "raw", _template(self.body)
        else:
            kind, body = None, None
        return HttpSpec(
            name=self.name,
            method=self.method,
            host=host,
            path=_template(path or "/"),
            headers=tuple((name, _template(value)) for name, value in self.headers.items()),
            body_kind=kind,
            body=body,
            content_type=self.content_type,
            expect_status=self.expect_status,
            captures=tuple((name, parse_json_path(path)) for name, path in self.capture.items()),
        )

    def absolute_host(self) -> str | None:
        """The host an absolute URL names (None for a path under app_base_url)."""
        parts = urlsplit(self.url)
        return (parts.hostname or "").lower() if parts.scheme else None


def _url_problem(url: str) -> str | None:
    if len(url) > MAX_URL_BYTES:
        return f"at most {MAX_URL_BYTES} characters"
    if not _URL_TEXT.fullmatch(url):
        return "no whitespace, control or non-ASCII characters (percent-encode them)"
    if url.startswith("/"):
        return "no fragment (#)" if "#" in url else None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError:
        return "not a URL (or a port outside 1-65535)"
    if parts.scheme not in ("http", "https"):
        return "a path starting with / (under app_base_url) or an http(s):// URL"
    if not parts.hostname or "{" in parts.netloc:
        return "an absolute URL names its host (no placeholder in it)"
    if parts.username is not None or parts.password is not None:
        return "no user or password in the URL"
    if parts.fragment or url.endswith("#"):
        return "no fragment (#)"
    return None


__all__ = ["APP", "METHODS", "HttpStep"]
