"""The client (SDK) surface: `/me` login, refresh and logout, settings, telemetry, analytics.

`PUT /me` is the hot path of every login, so its reply is assembled from
cached bytes: the user's JSON (cached on the user until it changes), the
token and JWT, and the settings JSON (cached per Host header). The settings
point the SDK back at this mock: the hosts are the request's Host header.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..protocol import wire
from ._context import Call, Route, ok
from ._store import UserRecord
from ._user_json import me_prefix

_SETTINGS_CACHE_MAX = 256  # distinct Host headers remembered
_DATA_HEAD, _DATA_TAIL = wire.data_envelope()  # `{"data":` and `}`, encoded once
_EMPTY_DATA = wire.encode_json(wire.data_body({}))


def settings(host: str, app_id: str, region: str, received_at: int) -> dict[str, Any]:
    """The `settings` object for a mock reached at `host` (`name[:port]`)."""
    name, _, port = host.rpartition(":") if host.rpartition(":")[2].isdigit() else (host, "", "")
    name = name.strip("[]") or "127.0.0.1"
    digest = hashlib.sha1(f"{app_id}:{region}:{host}".encode()).hexdigest()
    return {
        "ADMIN_API_HOST": host,
        "CLIENT_API_HOST": host,
        "CHAT_API_VERSION": wire.CLIENT_VERSION,
        wire.S_CHAT_HOSTS[-1]: name,  # CHAT_HOST
        wire.S_CHAT_WSS_PORT: int(port) if port else 80,
        "ANALYTICS_HOST": host,
        "ANALYTICS_VERSION": wire.ANALYTICS_VERSION,
        "ANALYTICS_PING_DISABLED": False,
        "APP_VERSION": 4,
        "MODE": "DEFAULT",
        "REGION": region,
        "settingsHash": digest[:16],
        "settingsHashReceivedAt": received_at,
    }


def _settings_json(call: Call) -> bytes:
    raw_host = call.headers.get(b"host", b"")
    cache = call.state.settings_cache
    cached = cache.get(raw_host)
    if cached is None:
        config = call.state.config
        host = raw_host.decode("latin-1") or "127.0.0.1"
        cached = wire.encode_json(settings(host, config.app_id, config.region, call.state.store.now()))
        if len(cache) < _SETTINGS_CACHE_MAX:
            cache[raw_host] = cached
    return cached


def _me_prefix(call: Call, user: UserRecord) -> bytes:
    """The user object as `/me` shows it, encoded, without its closing brace (kept on the user)."""
    prefix = user.me_prefix = me_prefix(user.fields, f"{user.uid}@{call.state.config.app_id}")
    return prefix


def _me(call: Call) -> bytes:
    # Tokens are minted here from [a-z0-9_-], and JWTs are base64url: no escaping needed.
    user, record, token = call.user, call.token_record, call.token
    assert user is not None and record is not None and token is not None
    # (both caches are hit on all but the first login: looked up here, not through a call)
    settings_json = call.state.settings_cache.get(call.headers.get(b"host", b"")) or _settings_json(call)
    return b"".join(
        (
            _DATA_HEAD,
            user.me_prefix or _me_prefix(call, user),
            _AUTH_TOKEN_KEY,
            token.encode(),
            _JWT_KEY,
            record.jwt.encode(),
            _SETTINGS_KEY,
            settings_json,
            _ME_END,
        )
    )


_AUTH_TOKEN_KEY = f',"{wire.F_AUTH_TOKEN}":"'.encode()
_JWT_KEY = f'","{wire.F_JWT}":"'.encode()
_SETTINGS_KEY = f'","{wire.F_SETTINGS}":'.encode()
_ME_END = b"}" + _DATA_TAIL  # the user object's brace, then the envelope's


def login(call: Call) -> bytes:
    """PUT /me: opens a session; echoes the token, adds `jwt` and `settings`."""
    assert call.token is not None
    call.state.store.open_session(call.token)
    return _me(call)


def get_me(call: Call) -> bytes:
    """GET /me: the same reply as a login, without opening a session (the SDK's JWT refresh)."""
    return _me(call)


def logout(call: Call) -> bytes:
    """DELETE /me: ends the session; the token stays valid unless `revoke_token_on_logout`."""
    assert call.token is not None
    call.state.store.close_session(call.token)
    return _LOGGED_OUT


_LOGGED_OUT = ok({"success": True, "message": "Logged out successfully."})


def get_settings(call: Call) -> bytes:
    """GET /settings: the same object `PUT /me` embeds."""
    return _DATA_HEAD + _settings_json(call) + _DATA_TAIL


def user_sessions(call: Call) -> bytes:
    """POST /user_sessions (SDK telemetry): echo `sessionId`; no token needed."""
    session_id = call.json().get("sessionId")
    if not isinstance(session_id, str) or not session_id:
        raise call.state.error(wire.ERR_BAD_REQUEST, {"sessionId": ["The sessionId field is required."]})
    return ok({"sessionId": session_id})


def analytics_ping(call: Call) -> bytes:
    """POST /v1/ping (SDK analytics): `{"data": {}}`."""
    return _EMPTY_DATA


ROUTES: tuple[Route, ...] = (
    Route("me.login", "PUT", wire.ME, "core", "token", login),
    Route("me.get", "GET", wire.ME, "standard", "token", get_me),
    Route("me.logout", "DELETE", wire.ME, "standard", "token", logout),
    Route("settings.get", "GET", wire.SETTINGS, "standard", "token", get_settings),
    Route("user_sessions.create", "POST", wire.USER_SESSIONS, "standard", "none", user_sessions),
    Route(
        "analytics.ping",
        "POST",
        wire.ANALYTICS_PING,
        "standard",
        "none",
        analytics_ping,
        versions=(wire.ANALYTICS_VERSION,),
    ),
)
