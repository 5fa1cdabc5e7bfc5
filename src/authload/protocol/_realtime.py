"""The real-time socket's contract, with no I/O: where the SDK connects and what it says.

After a login the SDK opens `wss://{host}:{CHAT_WSS_PORT}` (path `/`, no
subprotocol), host being the first of CHAT_HOST_OVERRIDE, CHAT_HOST_APP_SPECIFIC,
CHAT_HOST in the settings (the login reply's, else `GET /settings`), sends one
auth frame carrying the JWT, and waits for `{"code": "200", "status": "OK"}`
before its keep-alive starts (reference: cometchat-sdk-wire.md §8). `https://`
and `wss://` are hard-coded in the SDK; a plain-HTTP (loopback) backend gets
`ws://`, as the official-SDK test's shim rewrites it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..common._errors import ProtocolError, RealtimeError
from . import _operations as ops
from . import _wire as w
from ._messages import App, Exchange, Session


@dataclass(frozen=True, slots=True)
class RealtimeUrl:
    """Where the socket goes: `ws(s)://host:port/`."""

    host: str
    port: int
    secure: bool

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self.secure else 'ws'}://{host}:{self.port}/"


@dataclass(frozen=True, slots=True)
class RealtimePlan:
    """What a socket must do for `connect_realtime`: where to connect, the auth frame to send."""

    url: RealtimeUrl
    auth_frame: str = field(repr=False)  # it carries the JWT


def plan_realtime(app: App, session: Session, device_id: str, *, secure: bool) -> Exchange[RealtimePlan]:
    """The SDK's way to its socket after a login: the login reply's settings, else `GET /settings`."""
    settings = session.settings
    if not has_realtime_settings(settings):
        settings = yield from ops.get_settings(app, session.auth_token, label="settings")
    return RealtimePlan(realtime_url(settings, secure=secure), auth_frame(app, session, device_id))


def realtime_url(settings: Mapping[str, Any], *, secure: bool) -> RealtimeUrl:
    """The socket address the SDK would use with these settings; `secure` unless the API is plain HTTP."""
    host = next((settings[key] for key in w.S_CHAT_HOSTS if settings.get(key)), None)
    port = settings.get(w.S_CHAT_WSS_PORT)
    if not isinstance(host, str) or isinstance(port, bool) or not str(port).isdigit():
        # the SDK would open `wss://undefined:undefined` here (reference §4.5)
        raise ProtocolError("settings name no CHAT_HOST and CHAT_WSS_PORT")
    return RealtimeUrl(host, int(str(port)), secure)


def has_realtime_settings(settings: Mapping[str, Any]) -> bool:
    """Whether the login reply's settings are enough to connect (else the SDK asks `GET /settings`)."""
    return any(settings.get(key) for key in w.S_CHAT_HOSTS) and w.S_CHAT_WSS_PORT in settings


def auth_frame(app: App, session: Session, device_id: str) -> str:
    """The SDK's first frame. Without a JWT the `auth` key is left out, as the SDK does."""
    body: dict[str, Any] = {"deviceId": device_id}
    if session.jwt:
        body[w.F_WS_AUTH] = session.jwt
    frame = {
        w.F_APP_ID: app.app_id,
        "deviceId": device_id,
        "type": w.WS_TYPE_AUTH,
        "sender": session.user.uid,
        "body": body,
    }
    return json.dumps(frame, separators=(",", ":"))


def read_auth_reply(text: str) -> None:
    """Accept the server's auth reply, or raise `RealtimeError(auth_rejected)` with its code."""
    try:
        frame = json.loads(text)
    except ValueError:
        raise RealtimeError("auth reply is not JSON", cause="auth_rejected") from None
    body = frame.get("body") if isinstance(frame, dict) else None
    if not isinstance(body, dict) or frame.get("type") != w.WS_TYPE_AUTH:
        raise RealtimeError("no auth reply where one was due", cause="auth_rejected")
    if {key: body.get(key) for key in w.WS_AUTH_OK} != w.WS_AUTH_OK:
        raise RealtimeError(f"auth rejected: {body.get('code')} {body.get('status')}", cause="auth_rejected")


PING_FRAME = json.dumps({"action": w.WS_ACTION_PING, "ack": "true"}, separators=(",", ":"))
PONG_FRAME = json.dumps({"action": w.WS_ACTION_PONG}, separators=(",", ":"))
