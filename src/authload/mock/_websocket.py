"""The real-time socket on `/`: the SDK's auth frame and its keep-alive ping.

| frame received                  | reply                                                       |
|---------------------------------|-------------------------------------------------------------|
| `{"type": "auth", "body": {"auth": jwt}}` | `{"type": "auth", ..., "body": {"code": "200", ...}}` |
| `{"action": "ping", ...}`       | `{"action": "pong"}`                                        |
| anything else                   | nothing (counted as `other_frames`)                         |

The auth reply's body is `{"code": "200", "status": "OK"}` when the JWT is ours and
its token still valid, else `{"code": "401", "status": "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"}`.

Auth frames are an API route, `ws.auth`, like the HTTP ones: counted in
`/_mock/stats` (`requests`, reply `status` and `codes`, `faults`), rate limited
(standard tier: a refusal is the auth reply `{"code": "429", "status":
"ERR_TOO_MANY_REQUESTS"}`) and subject to fault rules: `latency` delays the
reply, `error` answers `{"code": "<status>", "status": "<code>"}`, `non_json`
sends its body as the reply, `reset` drops the TCP connection, `slow_body`
waits one `chunk_delay_ms` before replying.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..common._errors import TransportError
from ..protocol import wire
from ..protocol._realtime import PONG_FRAME
from ._config import ErrorFault, NonJsonFault, ResetFault
from ._context import MockState
from ._counters import RouteCounters, bump
from ._faults import FaultPlan
from ._http import reset_connection

WS_AUTH_ROUTE = "ws.auth"
_WS_METHOD = "WS"  # what fault rules with a `method` match on this route


def _reply(frame: dict[str, Any], state: MockState, code: str, status: str) -> str:
    reply = {
        "type": wire.WS_TYPE_AUTH,
        wire.F_APP_ID: frame.get(wire.F_APP_ID, state.config.app_id),
        "sender": frame.get("sender"),
        "deviceId": frame.get("deviceId"),
        "body": {"code": code, "status": status},
    }
    return json.dumps(reply, separators=(",", ":"))


def _count(counters: RouteCounters, status: int, code: str | None) -> None:
    bump(counters.status, status)
    if code is not None:
        bump(counters.codes, code)


def _auth_reply(state: MockState, frame: dict[str, Any], counters: RouteCounters) -> str:
    body = frame.get("body")
    jwt = body.get(wire.F_WS_AUTH) if isinstance(body, dict) else None
    found = state.store.jwt_user(jwt) if isinstance(jwt, str) else None
    if found is not None:
        state.counters.websocket.auth_ok += 1
        _count(counters, 200, None)
        return _reply(frame, state, wire.WS_AUTH_OK["code"], wire.WS_AUTH_OK["status"])
    state.counters.websocket.auth_failed += 1
    _count(counters, int(wire.WS_AUTH_REJECTED_CODE), wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND)
    return _reply(frame, state, wire.WS_AUTH_REJECTED_CODE, wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND)


async def _answer_auth(state: MockState, frame: dict[str, Any], websocket: WebSocket) -> bool:
    """Count, delay, limit, inject, answer; False once the connection was dropped."""
    counters = state.counters.route(WS_AUTH_ROUTE)
    counters.requests += 1
    plan = state.faults.plan(WS_AUTH_ROUTE, _WS_METHOD, "/")
    if plan is not None and plan.latency_hits:
        counters.faults["latency"] = counters.faults.get("latency", 0) + plan.latency_hits
        await asyncio.sleep(plan.delay)
    if state.limiter is not None and not state.limiter.check("standard").allowed:
        _count(counters, 429, wire.ERR_TOO_MANY_REQUESTS)
        await websocket.send_text(_reply(frame, state, "429", wire.ERR_TOO_MANY_REQUESTS))
        return True
    terminal = plan.terminal if plan is not None else None
    if isinstance(terminal, ResetFault):
        bump(counters.faults, "reset")
        return await _reset(websocket)
    if isinstance(terminal, NonJsonFault):
        bump(counters.faults, "non_json")
        _count(counters, terminal.status, None)
        await websocket.send_text(terminal.body)
        return True
    if isinstance(terminal, ErrorFault):
        bump(counters.faults, "error")
        _count(counters, terminal.status, terminal.code)
        await websocket.send_text(_reply(frame, state, str(terminal.status), terminal.code))
        return True
    await _slow(plan, counters)
    await websocket.send_text(_auth_reply(state, frame, counters))
    return True


async def _slow(plan: FaultPlan | None, counters: RouteCounters) -> None:
    if plan is not None and plan.slow is not None:
        bump(counters.faults, "slow_body")
        await asyncio.sleep(plan.slow.chunk_delay_ms / 1000.0)


async def _reset(websocket: WebSocket) -> bool:
    try:
        await reset_connection(websocket._send)  # uvicorn's send: aborts the TCP connection (RST)
    except TransportError:  # in-process tests have no transport: close abnormally instead
        await websocket.close(code=1011)
    return False


def _frame(text: str) -> dict[str, Any] | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None


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
                frame = _frame(text)
                if frame is not None and frame.get("type") == wire.WS_TYPE_AUTH:
                    if not await _answer_auth(state, frame, websocket):
                        return
                elif frame is not None and frame.get("action") == wire.WS_ACTION_PING:
                    state.counters.websocket.pings += 1
                    await websocket.send_text(PONG_FRAME)
                else:
                    state.counters.websocket.other_frames += 1
        except WebSocketDisconnect:
            return

    return endpoint
