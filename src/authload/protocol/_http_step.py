"""An `http` step: one request to the app's own server (or another allowed host), its
placeholders filled in from the cycle, values captured from its answer. No I/O.

A template is text with placeholders, split once when the scenario loads:

| placeholder   | is replaced by                                                      |
|---------------|---------------------------------------------------------------------|
| `{uid}`       | the cycle's identity                                                |
| `{token}`     | the identity's current auth token                                   |
| `{new_uid}`   | a fresh uid, which becomes the cycle's identity (a sign-up)         |
| `{var.NAME}`  | what an earlier step of the cycle captured as NAME                  |

Any other `{word}` is an error when the file loads; other braces are text. In a
URL a value is percent-encoded, in a form field form-encoded, in JSON a string.

An answer fails the step with a code: `HTTP_<status>` (not the expected status,
by default any 2xx), `PROTOCOL_NOT_JSON` (a capture needs JSON), `CAPTURE_MISSING`
(a capture path finds nothing, or no string or number), `CAPTURE_INVALID` (a
value cannot go into a header: control characters).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from ..common._errors import ProtocolError
from ._messages import Exchange, Request

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\}")
UID, TOKEN, NEW_UID, VAR = "uid", "token", "new_uid", "var."
HEADER_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
HTTP_CODE, NOT_JSON = "HTTP_{status}", "PROTOCOL_NOT_JSON"
CAPTURE_MISSING, CAPTURE_INVALID = "CAPTURE_MISSING", "CAPTURE_INVALID"
_PATH_PART = re.compile(r"\.([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[(['\"])((?:(?!\3).)*)\3\]")


@dataclass(frozen=True, slots=True)
class Template:
    """Text split at its placeholders: literal, name, literal, name, ..., literal."""

    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        """Split `text`; raises ValueError naming an unknown placeholder."""
        pieces = PLACEHOLDER.split(text)
        for name in pieces[1::2]:
            if name not in (UID, TOKEN, NEW_UID) and not (name.startswith(VAR) and len(name) > len(VAR)):
                raise ValueError(
                    f"unknown placeholder {{{name}}}; known: {{uid}}, {{token}}, {{new_uid}}, {{var.NAME}}"
                )
        return cls(tuple(pieces))

    @property
    def names(self) -> tuple[str, ...]:
        return self.parts[1::2]

    def render(self, values: Mapping[str, str], encode: Callable[[str], str] | None = None) -> str:
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        out = list(parts)
        for index in range(1, len(parts), 2):
            value = values[parts[index]]
            out[index] = encode(value) if encode is not None else value
        return "".join(out)


def parse_json_path(text: str) -> tuple[str | int, ...]:
    """`$.a.b[0]["c d"]` -> `("a", "b", 0, "c d")`; raises ValueError on anything else."""
    if not text.startswith("$"):
        raise ValueError(f"a capture path starts with $, e.g. $.cometchat.authToken, not {text!r}")
    keys: list[str | int] = []
    position = 1
    while position < len(text):
        found = _PATH_PART.match(text, position)
        if found is None:
            raise ValueError(f"cannot read the capture path {text!r} at character {position + 1}")
        name, index, _, quoted = found.groups()
        keys.append(int(index) if index is not None else (name if name is not None else quoted))
        position = found.end()
    return tuple(keys)


def find(document: Any, path: tuple[str | int, ...]) -> str | None:
    """The string or number at `path`, as text; None where there is none."""
    value = document
    for key in path:
        if isinstance(key, int) and isinstance(value, list) and key < len(value):
            value = value[key]
        elif isinstance(key, str) and isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return None


@dataclass(frozen=True, slots=True)
class HttpSpec:
    """What an `http` step sends and reads, its templates parsed.

    `host` is "app" (a path under the environment's `app_base_url`) or an absolute URL's
    origin; `path` the rest of the URL. `body` is one of `json` (a structure whose strings are
    templates), `form` (field -> template) or `raw` (one template), or None.
    """

    name: str
    method: str
    host: str
    path: Template
    headers: tuple[tuple[str, Template], ...] = ()
    body_kind: str | None = None  # "json", "form", "raw"
    body: Any = field(default=None, repr=False)
    content_type: str | None = None
    expect_status: int | None = None
    captures: tuple[tuple[str, tuple[str | int, ...]], ...] = ()
    uses: frozenset[str] = field(init=False, default=frozenset())  # every placeholder it has
    route: str = field(init=False, default="")  # the path as written: what it is counted under

    def __post_init__(self) -> None:
        found = set(self.path.names)
        for _, template in self.headers:
            found.update(template.names)
        for template in _templates(self.body):
            found.update(template.names)
        object.__setattr__(self, "uses", frozenset(found))
        parts = self.path.parts
        object.__setattr__(
            self, "route", "".join(p if i % 2 == 0 else f"{{{p}}}" for i, p in enumerate(parts))
        )

    def names(self) -> set[str]:
        """Every placeholder the step uses."""
        return set(self.uses)


def _templates(body: Any) -> list[Template]:
    if isinstance(body, Template):
        return [body]
    if isinstance(body, dict):
        return [t for value in body.values() for t in _templates(value)]
    if isinstance(body, list):
        return [t for value in body for t in _templates(value)]
    return []


def _render_json(node: Any, values: Mapping[str, str]) -> Any:
    if isinstance(node, Template):
        return node.render(values)
    if isinstance(node, dict):
        return {key: _render_json(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_render_json(value, values) for value in node]
    return node


def _quote(value: str) -> str:
    return quote(value, safe="")


def build_request(spec: HttpSpec, values: Mapping[str, str], defaults: Mapping[str, str]) -> Request:
    """The request, with `defaults` (the environment's `app_headers`) under the step's headers."""
    headers = {"Accept": "application/json", **defaults}
    for name, template in spec.headers:
        headers = {key: value for key, value in headers.items() if key.lower() != name.lower()}
        value = template.render(values)
        if not HEADER_VALUE.fullmatch(value):
            raise ProtocolError(f"a value for header {name} has control characters", code=CAPTURE_INVALID)
        headers[name] = value
    body: bytes | None = None
    if spec.body_kind == "json":
        text = json.dumps(_render_json(spec.body, values), separators=(",", ":"))
        body, content_type = text.encode(), "application/json"
    elif spec.body_kind == "form":
        fields = {key: template.render(values) for key, template in spec.body.items()}
        body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
    elif spec.body_kind == "raw":
        body, content_type = spec.body.render(values).encode(), "text/plain; charset=utf-8"
    if body is not None and not any(key.lower() == "content-type" for key in headers):
        headers["Content-Type"] = spec.content_type or content_type
    path = spec.path.render(values, _quote)
    return Request(spec.method, spec.host, path, headers, body, spec.route)


def http_exchange(
    spec: HttpSpec, values: Mapping[str, str], defaults: Mapping[str, str]
) -> Exchange[dict[str, str]]:
    """Send the step's request; return what it captured, or raise `ProtocolError` with its code."""
    response = yield build_request(spec, values, defaults)
    status = response.status
    if status != spec.expect_status and not (spec.expect_status is None and 200 <= status < 300):
        raise ProtocolError(
            f"{spec.name}: HTTP {status}", status=status, code=HTTP_CODE.format(status=status)
        )
    if not spec.captures:
        return {}
    try:
        document = json.loads(response.body)
    except ValueError:  # UnicodeDecodeError is one too
        raise ProtocolError(f"{spec.name}: the answer is not JSON", status=status, code=NOT_JSON) from None
    captured = {}
    for name, path in spec.captures:
        value = find(document, path)
        if value is None:
            raise ProtocolError(
                f"{spec.name}: nothing to capture as {name}", status=status, code=CAPTURE_MISSING
            )
        captured[name] = value
    return captured


__all__ = ["HttpSpec", "Template", "build_request", "find", "http_exchange", "parse_json_path"]
