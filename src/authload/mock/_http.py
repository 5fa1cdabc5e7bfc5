"""The API request pipeline, in plain ASGI (Starlette's routing is skipped on this path).

For each request, in order:

0. the body (a request whose body never arrives is not counted);
1. route match (unknown -> ERR_API_NOT_FOUND, counted under `unknown`); count it;
2. latency faults (sleep); capacity queues (wait for a slot, or 503 when the queue is full);
3. rate limit (429 ERR_TOO_MANY_REQUESTS; the request is not processed);
4. terminal faults: error reply, non-JSON reply, or reset before processing;
5. app check, credential check, handler;
6. reset-after-processing, or the reply (trickled for a slow-body fault).

Every applied fault and every reply is counted once, as it happens.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any

from ..common._errors import ApiError, TransportError
from ..protocol import wire
from ._auth import AppCheck, authenticate
from ._config import ErrorFault, NonJsonFault, ResetFault, SlowBodyFault
from ._context import Call, MockState, Route
from ._counters import RouteCounters, bump
from ._faults import FaultPlan, Terminal
from ._ratelimit import Verdict
from ._router import Router

Headers = list[tuple[bytes, bytes]]
UNKNOWN_ROUTE = "unknown"
_log = logging.getLogger("authload.mock")
_JSON = b"application/json"
_RATE_NAMES = tuple((a.lower().encode(), b.lower().encode()) for a, b in wire.RATE_LIMIT_HEADERS)
_RETRY_AFTER = wire.H_RETRY_AFTER.lower().encode()


def rate_headers(verdict: Verdict) -> Headers:
    """The monitoring headers, in both spellings CometChat's pages use."""
    values = (verdict.limit, verdict.remaining, verdict.reset_at)
    out: Headers = []
    for names, value in zip(_RATE_NAMES, values, strict=True):
        encoded = str(value).encode()
        out.extend((name, encoded) for name in names)
    return out


async def read_body(receive: Any, limit: int) -> tuple[bytes, bool] | None:
    """The whole request body (drained even past `limit`) and whether it was too big;
    None if the client went away first (or the server refused the rest, see `_limits`)."""
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body, len(body) > limit
    chunks, size = [body], len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
    return b"".join(chunks), size > limit


async def send_reply(
    send: Any, status: int, body: bytes, headers: Headers, content_type: bytes = _JSON
) -> None:
    """A complete reply with Content-Length."""
    start = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


async def send_slowly(send: Any, status: int, body: bytes, headers: Headers, fault: SlowBodyFault) -> None:
    """Headers at once, then the body in chunks with a pause before each but the first."""
    start = [(b"content-type", _JSON), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    for offset in range(0, len(body), fault.chunk_bytes):
        if offset:
            await asyncio.sleep(fault.chunk_delay_ms / 1000.0)
        chunk = body[offset : offset + fault.chunk_bytes]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def reset_connection(send: Any) -> None:
    """Abort the TCP connection with RST and no reply.

    uvicorn's `send` is a bound method of its request cycle, which holds the
    asyncio transport; SO_LINGER 0 makes the close an RST. Without a transport
    (in-process tests) the reset surfaces as `TransportError`.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise TransportError("injected connection reset", cause="reset")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await asyncio.sleep(0)  # let uvicorn see the disconnect before the app returns


def _error_bytes(error: ApiError) -> bytes:
    return wire.encode_json(wire.error_body(error.error_code, error.message, error.details or None))


class HttpPipeline:
    """Serves every CometChat API request of one mock app."""

    def __init__(self, state: MockState, routes: tuple[Route, ...]) -> None:
        self.state = state
        self.router = Router(routes)
        self.app_check = AppCheck(state)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        state = self.state
        received = await read_body(receive, state.config.max_body_bytes)
        if received is None:  # a request that never arrived whole is not counted
            return
        body, too_big = received
        method: str = scope["method"]
        path: str = scope["path"]
        found = self.router.match(method, path)
        route, params = found if found is not None else (None, {})
        counters = state.counters.route(route.name if route is not None else UNKNOWN_ROUTE)
        counters.requests += 1
        plan = state.faults.plan(route.name, method, path) if route is not None else None
        if plan is not None and plan.latency_hits:
            counters.faults["latency"] = counters.faults.get("latency", 0) + plan.latency_hits
            await asyncio.sleep(plan.delay)
        if route is not None and state.capacity is not None and state.capacity.queues:
            if not await self._wait_for_capacity(send, counters, route.name):
                return
        extra = await self._rate_limit(send, counters, route)
        if extra is None:
            return
        terminal = plan.terminal if plan is not None else None
        if terminal is not None and not (isinstance(terminal, ResetFault) and terminal.after_handler):
            await self._terminal(send, counters, terminal, extra)
            return
        status, payload, code = self._run(scope, route, params, body, too_big)
        await self._deliver(send, counters, plan, status, payload, code, extra)

    async def _wait_for_capacity(self, send: Any, counters: RouteCounters, route: str) -> bool:
        """Wait for a slot of every capacity queue the route is in; False once refused (503)."""
        assert self.state.capacity is not None
        for queue in self.state.capacity.for_route(route):
            wait = queue.admit()
            if wait is None:
                bump(counters.faults, "capacity")
                error = self.state.error(wire.ERR_SERVICE_UNAVAILABLE)
                await self._reply(send, counters, error.status, _error_bytes(error), error.error_code, [])
                return False
            if wait > 0:
                await asyncio.sleep(wait)
        return True

    async def _rate_limit(self, send: Any, counters: RouteCounters, route: Route | None) -> Headers | None:
        """The rate-limit headers, or None once a 429 has been sent."""
        limiter = self.state.limiter
        if route is None or limiter is None:
            return []
        verdict = limiter.check(route.tier)
        extra = rate_headers(verdict)
        if verdict.allowed:
            return extra
        extra.append((_RETRY_AFTER, str(verdict.retry_after).encode()))
        error = self.state.error(wire.ERR_TOO_MANY_REQUESTS)
        await self._reply(send, counters, error.status, _error_bytes(error), error.error_code, extra)
        return None

    def _run(
        self, scope: dict[str, Any], route: Route | None, params: dict[str, str], body: bytes, too_big: bool
    ) -> tuple[int, bytes, str | None]:
        """Checks and handler: `(status, body, error code or None)`."""
        state = self.state
        headers: dict[bytes, bytes] = dict(scope["headers"])
        try:
            if route is None:
                raise state.error(wire.ERR_API_NOT_FOUND, method=scope["method"], path=scope["path"])
            if route.auth != "app":  # the sample app server is the app's own, not CometChat's
                self.app_check.check(headers, scope.get("client"))
            call = Call(state, scope["method"], scope["path"], params, headers, body, scope["query_string"])
            authenticate(call, route)
            if too_big:  # (a real server refuses it earlier, see `_limits`)
                limit = state.config.max_body_bytes
                details: dict[str, object] = {"body": [f"The body may not be greater than {limit} bytes."]}
                raise ApiError(
                    wire.ERR_BAD_REQUEST,
                    state.error(wire.ERR_BAD_REQUEST).message,
                    status=413,
                    details=details,
                )
            return 200, route.handler(call), None
        except ApiError as error:
            return error.status, _error_bytes(error), error.error_code
        except Exception:  # a mock bug: answer (and count) a 500 envelope rather than a bare 500
            _log.exception("mock handler failed: %s %s", scope["method"], scope["path"])
            failed = state.error(wire.ERR_OPERATION_FAILED)
            return failed.status, _error_bytes(failed), failed.error_code

    async def _deliver(
        self,
        send: Any,
        counters: RouteCounters,
        plan: FaultPlan | None,
        status: int,
        payload: bytes,
        code: str | None,
        extra: Headers,
    ) -> None:
        if plan is not None and isinstance(plan.terminal, ResetFault):  # reset after processing
            bump(counters.faults, "reset")
            await reset_connection(send)
            return
        if plan is not None and plan.slow is not None:
            bump(counters.faults, "slow_body")
            _count(counters, status, code)
            await send_slowly(send, status, payload, extra, plan.slow)
            return
        await self._reply(send, counters, status, payload, code, extra)

    async def _reply(
        self,
        send: Any,
        counters: RouteCounters,
        status: int,
        payload: bytes,
        code: str | None,
        extra: Headers,
    ) -> None:
        _count(counters, status, code)
        await send_reply(send, status, payload, extra)

    async def _terminal(self, send: Any, counters: RouteCounters, fault: Terminal, extra: Headers) -> None:
        if isinstance(fault, ResetFault):
            bump(counters.faults, "reset")
            await reset_connection(send)
        elif isinstance(fault, NonJsonFault):
            bump(counters.faults, "non_json")
            _count(counters, fault.status, None)
            await send_reply(send, fault.status, fault.body.encode(), extra, fault.content_type.encode())
        else:
            bump(counters.faults, "error")
            await self._reply(
                send, counters, fault.status, _fault_error(self.state, fault), fault.code, extra
            )


def _fault_error(state: MockState, fault: ErrorFault) -> bytes:
    message = fault.message or state.error(fault.code).message
    return wire.encode_json(wire.error_body(fault.code, message))


def _count(counters: RouteCounters, status: int, code: str | None) -> None:
    counters.status[status] = counters.status.get(status, 0) + 1
    if code is not None:
        counters.codes[code] = counters.codes.get(code, 0) + 1
