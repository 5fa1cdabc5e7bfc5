"""The real-time socket on `/`: the SDK's auth frame and its keep-alive ping.

| frame received                  | reply                                                       |
|---------------------------------|-------------------------------------------------------------|
| `{"type": "auth", "body": {"auth": jwt}}` | `{"type": "auth", ..., "body": {"code": "200", ...}}` |
| `{"action": "ping", ...}`       | `{"action": "pong"}`                                        |
| anything else                   | nothing (counted as `other_frames`)                         |

The auth reply's body is `{"code": "200", "status": "OK"}` when the JWT is ours and
its token still valid, else `{"code": "401", "status": "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"}`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from authload.protocol import wire

from ._context import MockState

_PONG = json.dumps({"action": wire.WS_ACTION_PONG}, separators=(",", ":"))


def _auth_reply(state: MockState, frame: dict[str, Any]) -> str:
    body = frame.get("body")
    jwt = body.get("auth") if isinstance(body, dict) else None
    found = state.store.jwt_user(jwt) if isinstance(jwt, str) else None
    counters = state.counters.websocket
    if found is not None:
        counters.auth_ok += 1
        result: dict[str, str] = dict(wire.WS_AUTH_OK)
    else:
        counters.auth_failed += 1
        result = {"code": "401", "status": wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND}
    reply = {
        "type": wire.WS_TYPE_AUTH,
        "appId": frame.get("appId", state.config.app_id),
        "sender": frame.get("sender"),
        "deviceId": frame.get("deviceId"),
        "body": result,
    }
    return json.dumps(reply, separators=(",", ":"))


def handle_frame(state: MockState, text: str) -> str | None:
    """The reply to one text frame, or None."""
    try:
        frame = json.loads(text)
    except ValueError:
        frame = None
    if isinstance(frame, dict):
        if frame.get("type") == wire.WS_TYPE_AUTH:
            return _auth_reply(state, frame)
        if frame.get("action") == wire.WS_ACTION_PING:
            state.counters.websocket.pings += 1
            return _PONG
    state.counters.websocket.other_frames += 1
    return None


def websocket_endpoint(state: MockState) -> Callable[[WebSocket], Awaitable[None]]:
    """A Starlette WebSocket endpoint bound to `state`."""

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        state.counters.websocket.connections += 1
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", "replace")
                reply = handle_frame(state, text)
                if reply is not None:
                    await websocket.send_text(reply)
        except WebSocketDisconnect:
            return

    return endpoint
