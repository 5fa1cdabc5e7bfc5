"""Who is calling: the app (host name or appId header), then the key or the token.

Checks run in this order, each answering with its CometChat code:

| check              | failure                                                          |
|--------------------|------------------------------------------------------------------|
| app                | AUTH_ERR_INVALID_APPID (other app or region), AUTH_ERR_EMPTY_APPID |
| REST: apiKey       | AUTH_ERR_EMPTY_APIKEY, AUTH_ERR_APIKEY_NOT_FOUND                 |
| REST: key scope    | AUTH_ERR_NO_ACCESS (Auth Key outside create user/update user/create token) |
| client: authToken  | AUTH_ERR_EMPTY_AUTH_TOKEN, AUTH_ERR_AUTH_TOKEN_NOT_FOUND         |
| sample app server  | 401 APP_UNAUTHORIZED (no app check: it is the app's own server)  |

The host name wins over the `appId` header (v3 names the app in the host;
the reference says the header is tolerated). A request naming no app at all
is accepted from loopback when `accept_missing_app_id` is set, since plain
curl users send no `appId` while the SDK always does.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import NoReturn

from ..common._errors import ApiError
from ..protocol import wire
from ._context import Call, MockState, Route

_HOST = b"host"
_APP_ID = wire.H_APP_ID.lower().encode()
_API_KEY = wire.H_API_KEY.lower().encode()
_AUTH_TOKEN = wire.H_AUTH_TOKEN.lower().encode()
_LOOPBACK = ("127.", "::1", "localhost")
_HOST_CACHE_MAX = 256


class AppCheck:
    """Decides whether a request names this mock's app; host verdicts are cached."""

    __slots__ = ("_state", "_hosts", "_app_id")

    def __init__(self, state: MockState) -> None:
        self._state = state
        self._hosts: dict[bytes, tuple[str | None, str]] = {}  # Host header -> (app, region)
        try:  # (headers are bytes: an app id they cannot spell matches none)
            self._app_id: bytes | None = state.config.app_id.encode("latin-1")
        except UnicodeEncodeError:
            self._app_id = None

    def _host_app(self, host: bytes) -> tuple[str | None, str]:
        """`(app named by the host or None, its region)`."""
        found = wire.HOST_PATTERN.match(host.decode("latin-1").lower())
        named = (found["app_id"], found["region"]) if found is not None else (None, "")
        if len(self._hosts) < _HOST_CACHE_MAX:
            self._hosts[host] = named
        return named

    def check(self, headers: Mapping[bytes, bytes], client: tuple[str, int] | None) -> None:
        """Raise the app error, if any."""
        host = headers.get(_HOST, b"")
        named, region = self._hosts.get(host) or self._host_app(host)
        if named is not None:
            config = self._state.config
            if named == config.app_id.lower() and region == config.region:
                return
            raise self._state.error(wire.AUTH_ERR_INVALID_APPID, appId=named, region=region)
        header = headers.get(_APP_ID)
        if header is not None and header == self._app_id:
            return
        state, config = self._state, self._state.config
        if header:
            raise state.error(
                wire.AUTH_ERR_INVALID_APPID, appId=header.decode("latin-1"), region=config.region
            )
        loopback = client is not None and client[0].startswith(_LOOPBACK)
        if not (config.accept_missing_app_id and loopback):
            raise state.error(wire.AUTH_ERR_EMPTY_APPID)


def authenticate(call: Call, route: Route) -> None:
    """Check the route's credential; fills `call.scope` or `call.token`/`user`."""
    auth = route.auth
    if auth == "token":  # the SDK's routes, most requests: checked here, not through a call
        token = call.headers.get(_AUTH_TOKEN, b"").decode("latin-1")
        found = call.state.store.token_user(token) if token else None
        if found is None:
            _refuse_token(call, token)
        call.token = token
        call.token_record, call.user = found
    elif auth == "key":
        _check_key(call, route)
    elif auth == "app":
        _check_app_session(call)


def _check_app_session(call: Call) -> None:
    """The sample app server's own credential: `Authorization: Bearer <app_secret>`."""
    given = (call.header(wire.H_AUTHORIZATION) or "").encode("latin-1")
    expected = (wire.BEARER + call.state.config.app_secret).encode("latin-1")
    if not hmac.compare_digest(given, expected):
        raise ApiError(wire.APP_UNAUTHORIZED, "The app session is missing or wrong.", status=401)


def _check_key(call: Call, route: Route) -> None:
    state = call.state
    key = call.headers.get(_API_KEY, b"").decode("latin-1")
    if not key:
        raise state.error(wire.AUTH_ERR_EMPTY_APIKEY)
    if key == state.config.rest_api_key:
        call.scope = wire.SCOPE_FULL_ACCESS
    elif key == state.config.auth_key:
        call.scope = wire.SCOPE_AUTH_ONLY
        if not route.auth_key_ok:
            raise state.error(wire.AUTH_ERR_NO_ACCESS, apikey=key)
    else:
        raise state.error(wire.AUTH_ERR_APIKEY_NOT_FOUND, apikey=key)


def _refuse_token(call: Call, token: str) -> NoReturn:
    if not token:
        raise call.state.error(wire.AUTH_ERR_EMPTY_AUTH_TOKEN)
    raise call.state.error(wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND, authToken=token)
