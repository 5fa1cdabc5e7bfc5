"""What route handlers see: the app's state, one call, and how to say no.

A handler is a plain function `handler(call) -> bytes` (the encoded success
body; successes are always HTTP 200) that raises `ApiError` to answer with
CometChat's error envelope. Handlers do no I/O, so they stay synchronous.
"""

from __future__ import annotations

import json
import json.scanner
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import parse_qsl

from ..common._errors import ApiError
from ..protocol import wire
from ._capacity import Capacity
from ._config import MockConfig
from ._counters import Counters
from ._faults import FaultInjector
from ._ratelimit import RateLimiter, Tier
from ._store import Store, TokenRecord, UserRecord

Scope = str  # wire.SCOPE_FULL_ACCESS or wire.SCOPE_AUTH_ONLY

_MESSAGES = {**wire.INFERRED_ERROR_MESSAGES, **wire.ERROR_MESSAGES}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(slots=True)
class MockState:
    """Everything one mock app holds; rebuilt parts on `POST /_mock/reset`."""

    config: MockConfig
    clock: Callable[[], float]
    store: Store
    counters: Counters
    limiter: RateLimiter | None
    faults: FaultInjector
    statuses: dict[str, int] = field(default_factory=dict)
    settings_cache: dict[bytes, bytes] = field(default_factory=dict)  # Host header -> settings JSON
    capacity: Capacity | None = None  # `capacity` fault rules: queues served at a fixed rate

    @classmethod
    def build(cls, config: MockConfig, clock: Callable[[], float]) -> MockState:
        """Fresh state for `config`."""
        limiter = RateLimiter(config.rate_limits, clock) if config.rate_limits.enabled else None
        defaults = {code: options[0] for code, options in wire.ERROR_STATUSES.items()}
        statuses = {**defaults, **config.statuses}
        faults = FaultInjector(config.faults, config.seed)
        capacity = Capacity(config.faults, time.monotonic)
        return cls(
            config, clock, Store(config, clock), Counters(), limiter, faults, statuses, capacity=capacity
        )

    def reset(self, seed: int | None = None) -> None:
        """Forget users, tokens and counts; restart the limiter and the fault RNGs."""
        self.store.reset()
        self.counters.reset()
        if self.limiter is not None:
            self.limiter.reset()
        self.faults.reseed(self.config.seed if seed is None else seed)
        self.settings_cache.clear()
        self.capacity = Capacity(self.config.faults, time.monotonic)

    def error(self, code: str, details: dict[str, Any] | None = None, **fmt: str) -> ApiError:
        """An `ApiError` with the configured status and the code's message."""
        message = _MESSAGES.get(code, code).format_map(_Blank(fmt))
        return ApiError(code, message, status=self.statuses.get(code, 400), details=details)


NO_PARAMS: Mapping[str, str] = MappingProxyType({})  # a route without path parameters


class Call:
    """One API request, as the pipeline and its handlers see it (built once, by the front end).

    Header names are lower-case (the last of a repeated header wins), and the headers are
    read-only: requests with the same head may share one dict (`_protocol`'s known heads).
    `params` are the route's path parameters and `scope`, `token`, `token_record` and `user`
    who is calling, filled in by the pipeline. (A plain slotted class: one is built per request.)
    """

    __slots__ = (
        "state",
        "method",
        "path",
        "headers",
        "body",
        "query_string",
        "client",
        "keep_alive",
        "too_big",
        "params",
        "scope",
        "token",
        "token_record",
        "user",
    )

    def __init__(
        self,
        state: MockState,
        method: str,
        path: str,
        headers: dict[bytes, bytes],
        body: bytes = b"",
        query_string: bytes = b"",
        client: tuple[str, int] | None = None,
        keep_alive: bool = True,
        too_big: bool = False,
    ) -> None:
        self.state = state
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.query_string = query_string
        self.client = client
        self.keep_alive = keep_alive  # (the connection's business: its protocol answers accordingly)
        self.too_big = too_big  # the body was over `max_body_bytes` (drained, not kept whole)
        self.params = NO_PARAMS
        self.scope: Scope | None = None  # the API key's scope, on REST routes
        self.token: str | None = None  # the auth token, on client routes
        self.token_record: TokenRecord | None = None
        self.user: UserRecord | None = None  # the token's user, on client routes

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        value = self.headers.get(name.lower().encode("latin-1"))
        return value.decode("latin-1") if value is not None else None

    def query(self) -> dict[str, str]:
        """The query string's parameters (last value wins)."""
        return dict(parse_qsl(self.query_string.decode("latin-1")))

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; an empty body is `{}`."""
        if not self.body.strip():
            return {}
        try:
            value = _object(self.body)
        except ValueError:
            raise self.state.error(wire.ERR_BAD_REQUEST, {"body": ["The body must be valid JSON."]}) from None
        if not isinstance(value, dict):
            raise self.state.error(wire.ERR_BAD_REQUEST, {"body": ["The body must be a JSON object."]})
        return value


_MAKE_SCANNER: Any = getattr(json.scanner, "c_make_scanner", None)  # (CPython's C accelerator)
_SCAN = _MAKE_SCANNER(json.JSONDecoder()) if _MAKE_SCANNER is not None else None


def _object(body: bytes) -> Any:
    """`json.loads(body)`, with the common body (UTF-8, an object first thing) read by the C
    scanner directly: `json.loads` costs several times as much in Python around the same scan."""
    if _SCAN is None or body[:1] != b"{":
        return json.loads(body)
    text = body.decode("utf-8")  # (a UnicodeDecodeError is a ValueError, as from `json.loads`)
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(text) and text[end:].strip(" \t\n\r"):
        raise ValueError("extra data after the JSON value")
    return value


Handler = Callable[[Call], bytes]
Auth = Literal["key", "token", "none", "app"]  # "app": the sample app server's own session


@dataclass(frozen=True, slots=True)
class Route:
    """One API operation: name (used in stats and fault rules), tier, credential, handler."""

    name: str
    method: str
    template: str  # a `wire` path template, without the version segment
    tier: Tier
    auth: Auth
    handler: Handler
    auth_key_ok: bool = False  # an authOnly key (Auth Key) may call it
    versions: tuple[str, ...] = ("", *wire.API_VERSIONS)  # version segments served ("" = none)


def ok(data: Any, meta: dict[str, Any] | None = None) -> bytes:
    """The encoded success envelope."""
    return wire.encode_json(wire.data_body(data, meta))
