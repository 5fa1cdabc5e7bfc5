"""Requests, responses and the values read out of them. Plain data, no I/O.

Read-only by convention, not `frozen=True`: a load run builds several per
request, and a frozen dataclass costs about 1 µs more each to build.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ._wire import H_APP_ID, H_SDK, JSON_HEADERS

# Which base URL a request goes to: "rest", "client", "app" (the app's own server), or, for an
# `http` step with an absolute URL, that URL's origin ("https://host:port").
Host = str
T = TypeVar("T")


@dataclass(slots=True)
class Request:
    """One HTTP request an operation needs; `host` picks the base URL it goes to.

    `route` is the path as a template (`/v3/users/{uid}`), what the request is counted under
    (summary.json's `http.load.by_endpoint`); `label` tells the requests of a step that sends
    more than one apart (`mint`, `session`), as Locust's rows do (`login_auth_key [mint]`).
    """

    method: str
    host: Host
    path: str
    headers: Mapping[str, str] = field(repr=False)  # they carry the key or the token
    body: bytes | None = field(default=None, repr=False)
    route: str = ""
    label: str | None = None


@dataclass(slots=True)
class Response:
    """What a driver read back. `headers` must answer lower-case names (any case-insensitive
    mapping does: httpx's and geventhttpclient's both are, so drivers pass them as they are)."""

    status: int
    headers: Mapping[str, str]
    body: bytes


# An auth operation: yields requests, receives responses, returns its result.
Exchange = Generator[Request, Response, T]


def run_exchange(exchange: Exchange[T], send: Callable[[Request], Response]) -> T:
    """Drive an exchange: `send` each request it yields, feed back each response, return its result.

    Every driver (httpx, geventhttpclient, canned replies in tests) is this loop plus its `send`.
    """
    try:
        request = next(exchange)
        while True:
            request = exchange.send(send(request))
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


@dataclass(slots=True)
class User:
    """A CometChat user as the API returns it; `raw` keeps every field."""

    uid: str
    name: str
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class AuthToken:
    """An auth token minted for `uid`. `repr` hides the token itself."""

    uid: str
    token: str = field(repr=False)
    created_at: int = 0


@dataclass(slots=True)
class Session:
    """A logged-in user, as `PUT /me` returns it: the user, its token, the JWT, settings."""

    user: User
    auth_token: str = field(repr=False)
    jwt: str | None = field(default=None, repr=False)
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class App:
    """The app every request names, and the headers every request carries."""

    app_id: str
    sdk: str = "authload@0.1"
    common_headers: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once: every request of a load run starts from these.
        object.__setattr__(self, "common_headers", {**JSON_HEADERS, H_APP_ID: self.app_id, H_SDK: self.sdk})

    def headers(self, name: str, value: str) -> dict[str, str]:
        """Common headers plus one credential header, e.g. `headers(wire.H_API_KEY, key)`."""
        return {**self.common_headers, name: value}
