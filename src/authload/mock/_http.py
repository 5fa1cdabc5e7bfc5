"""The API request pipeline: one request in, one reply (or reset) out, with no I/O of its own.

Two front ends feed it: the mock's own HTTP/1.1 protocol (`_protocol`), which
answers straight on the transport, and plain ASGI (`HttpPipeline.__call__`:
in-process tests, wrapped apps). A `Responder` writes the reply; everything up
to the reply is synchronous unless a fault or a capacity queue makes the
request wait, so the common request costs no task and no await.

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
from collections.abc import Coroutine
from typing import Any, Protocol

from ..common._errors import ApiError, TransportError
from ..protocol import wire
from ._auth import AppCheck, authenticate
from ._config import ErrorFault, NonJsonFault, ResetFault, SlowBodyFault
from ._context import Call, MockState, Route
from ._counters import RouteCounters, bump
from ._faults import FaultPlan, Terminal
from ._ratelimit import Verdict
from ._router import Router
from ._uvicorn import STATUS_LINE

Headers = list[tuple[bytes, bytes]]
NO_HEADERS: Headers = []  # a reply with no extra headers (shared: never written to)
Later = Coroutine[Any, Any, None] | None  # what is left of a request that has to wait, if any
UNKNOWN_ROUTE = "unknown"
_log = logging.getLogger("authload.mock")
JSON = b"application/json"
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
    send: Any, status: int, body: bytes, headers: Headers, content_type: bytes = JSON
) -> None:
    """A complete reply with Content-Length."""
    start = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


async def send_slowly(send: Any, status: int, body: bytes, headers: Headers, fault: SlowBodyFault) -> None:
    """Headers at once, then the body in chunks with a pause before each but the first."""
    start = [(b"content-type", JSON), (b"content-length", str(len(body)).encode()), *headers]
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


_OK_JSON = STATUS_LINE[200] + b"content-type: application/json\r\ncontent-length: "
OK_HEADS: dict[int, bytes] = {}  # body length -> the head of a 200 JSON reply (`ok_head`)


def ok_head(length: int) -> bytes:
    """The head of a 200 JSON reply of `length` bytes, kept for the next reply of that size."""
    head = b"%s%d\r\n\r\n" % (_OK_JSON, length)
    if len(OK_HEADS) < 4096:
        OK_HEADS[length] = head
    return head


def reply_head(status: int, length: int, headers: Headers, content_type: bytes, keep_alive: bool) -> bytes:
    """The head of a reply with Content-Length, as uvicorn writes it (what `Responder.reply`
    sends on the mock's own protocol)."""
    line = STATUS_LINE.get(status)
    parts = [
        line if line is not None else b"HTTP/1.1 %d \r\n" % status,
        b"content-type: ",
        content_type,
        b"\r\ncontent-length: %d\r\n" % length,
    ]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n" if keep_alive else b"connection: close\r\n\r\n")
    return b"".join(parts)


def error_bytes(error: ApiError) -> bytes:
    """A CometChat error envelope, encoded."""
    return wire.encode_json(wire.error_body(error.error_code, error.message, error.details or None))


class Responder(Protocol):
    """Where a request's reply goes. `reply` and `reset` finish the request."""

    def reply(self, status: int, body: bytes, headers: Headers, content_type: bytes = JSON) -> None:
        """A complete reply with Content-Length."""

    def reset(self) -> None:
        """Abort the connection with RST and no reply."""

    async def reply_slowly(self, status: int, body: bytes, headers: Headers, fault: SlowBodyFault) -> None:
        """The headers at once, the body trickled (a slow-body fault)."""


class AsgiResponder:
    """A `Responder` over ASGI's `send`: the reply is kept, then sent by `flush`."""

    __slots__ = ("_send", "_reply", "_reset")

    def __init__(self, send: Any) -> None:
        self._send = send
        self._reply: tuple[int, bytes, Headers, bytes] | None = None
        self._reset = False

    def reply(self, status: int, body: bytes, headers: Headers, content_type: bytes = JSON) -> None:
        self._reply = (status, body, headers, content_type)

    def reset(self) -> None:
        self._reset = True

    async def reply_slowly(self, status: int, body: bytes, headers: Headers, fault: SlowBodyFault) -> None:
        await send_slowly(self._send, status, body, headers, fault)

    async def flush(self) -> None:
        if self._reset:
            await reset_connection(self._send)
        elif self._reply is not None:
            await send_reply(self._send, *self._reply)


class HttpPipeline:
    """Serves every CometChat API request of one mock app."""

    __slots__ = ("state", "router", "app_check", "_plain", "_routes")

    def __init__(self, state: MockState, routes: tuple[Route, ...]) -> None:
        self.state = state
        self.router = Router(routes)
        self.app_check = AppCheck(state)
        # No fault rules (capacity queues are fault rules too) and no rate limits: a request
        # goes straight from its route to its handler (`handle`). Both are fixed by the config.
        self._plain = not state.config.faults and state.limiter is None
        self._routes = state.counters.routes  # (the same dict for good: a reset empties it)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The pipeline as a plain ASGI app (HTTP only)."""
        received = await read_body(receive, self.state.config.max_body_bytes)
        if received is None:  # a request that never arrived whole is not counted
            return
        body, too_big = received
        headers: dict[bytes, bytes] = dict(scope["headers"])
        call = Call(
            self.state,
            scope["method"],
            scope["path"],
            headers,
            body,
            scope["query_string"],
            scope.get("client"),
            too_big=too_big,
        )
        responder = AsgiResponder(send)
        later = self.handle(call, responder)
        if later is not None:
            await later
        await responder.flush()

    def handle(self, call: Call, out: Responder) -> Later:
        """Serve `call` through `out`; returns the rest as a coroutine when it has to wait."""
        state = self.state
        found = self.router.match(call.method, call.path)
        if found is None:
            route, name = None, UNKNOWN_ROUTE
        else:
            route, call.params = found
            name = route.name
        counters = self._routes.get(name) or state.counters.route(name)
        counters.requests += 1
        if self._plain or route is None:  # (no fault, queue or limit applies to an unknown route)
            status, payload, code = self._run(call, route)
            statuses = counters.status  # (`_count`, inline: this runs for every request)
            statuses[status] = statuses.get(status, 0) + 1
            if code is not None:
                counters.codes[code] = counters.codes.get(code, 0) + 1
            out.reply(status, payload, NO_HEADERS)
            return None
        plan = state.faults.plan(route.name, call.method, call.path)
        if (plan is not None and plan.latency_hits > 0) or state_has_queues(state):
            return self._wait_then_finish(call, out, route, counters, plan)
        return self._finish(call, out, route, counters, plan)

    async def _wait_then_finish(
        self, call: Call, out: Responder, route: Route, counters: RouteCounters, plan: FaultPlan | None
    ) -> None:
        if plan is not None and plan.latency_hits:
            counters.faults["latency"] = counters.faults.get("latency", 0) + plan.latency_hits
            await asyncio.sleep(plan.delay)
        if state_has_queues(self.state):
            if not await self._wait_for_capacity(out, counters, route.name):
                return
        later = self._finish(call, out, route, counters, plan)
        if later is not None:
            await later

    def _finish(
        self, call: Call, out: Responder, route: Route, counters: RouteCounters, plan: FaultPlan | None
    ) -> Later:
        """Rate limit, terminal faults, checks and handler, the reply."""
        extra = self._rate_limit(out, counters, route)
        if extra is None:
            return None
        terminal = plan.terminal if plan is not None else None
        if terminal is not None and not (isinstance(terminal, ResetFault) and terminal.after_handler):
            self._terminal(out, counters, terminal, extra)
            return None
        status, payload, code = self._run(call, route)
        if plan is not None and isinstance(plan.terminal, ResetFault):  # reset after processing
            bump(counters.faults, "reset")
            out.reset()
            return None
        _count(counters, status, code)
        if plan is not None and plan.slow is not None:
            bump(counters.faults, "slow_body")
            return out.reply_slowly(status, payload, extra, plan.slow)
        out.reply(status, payload, extra)
        return None

    async def _wait_for_capacity(self, out: Responder, counters: RouteCounters, route: str) -> bool:
        """Wait for a slot of every capacity queue the route is in; False once refused (503)."""
        assert self.state.capacity is not None
        for queue in self.state.capacity.for_route(route):
            wait = queue.admit()
            if wait is None:
                bump(counters.faults, "capacity")
                error = self.state.error(wire.ERR_SERVICE_UNAVAILABLE)
                _count(counters, error.status, error.error_code)
                out.reply(error.status, error_bytes(error), NO_HEADERS)
                return False
            if wait > 0:
                await asyncio.sleep(wait)
        return True

    def _rate_limit(self, out: Responder, counters: RouteCounters, route: Route) -> Headers | None:
        """The rate-limit headers, or None once a 429 has been sent."""
        limiter = self.state.limiter
        if limiter is None:
            return NO_HEADERS
        verdict = limiter.check(route.tier)
        extra = rate_headers(verdict)
        if verdict.allowed:
            return extra
        extra.append((_RETRY_AFTER, str(verdict.retry_after).encode()))
        error = self.state.error(wire.ERR_TOO_MANY_REQUESTS)
        _count(counters, error.status, error.error_code)
        out.reply(error.status, error_bytes(error), extra)
        return None

    def _run(self, call: Call, route: Route | None) -> tuple[int, bytes, str | None]:
        """Checks and handler: `(status, body, error code or None)`."""
        state = self.state
        try:
            if route is None:
                raise state.error(wire.ERR_API_NOT_FOUND, method=call.method, path=call.path)
            if route.auth != "app":  # the sample app server is the app's own, not CometChat's
                self.app_check.check(call.headers, call.client)
            authenticate(call, route)
            if call.too_big:  # (a real server refuses it earlier, see `_limits`)
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
            return error.status, error_bytes(error), error.error_code
        except Exception:  # a mock bug: answer (and count) a 500 envelope rather than a bare 500
            _log.exception("mock handler failed: %s %s", call.method, call.path)
            failed = state.error(wire.ERR_OPERATION_FAILED)
            return failed.status, error_bytes(failed), failed.error_code

    def _terminal(self, out: Responder, counters: RouteCounters, fault: Terminal, extra: Headers) -> None:
        if isinstance(fault, ResetFault):
            bump(counters.faults, "reset")
            out.reset()
        elif isinstance(fault, NonJsonFault):
            bump(counters.faults, "non_json")
            _count(counters, fault.status, None)
            out.reply(fault.status, fault.body.encode(), extra, fault.content_type.encode())
        else:
            bump(counters.faults, "error")
            _count(counters, fault.status, fault.code)
            out.reply(fault.status, _fault_error(self.state, fault), extra)


def state_has_queues(state: MockState) -> bool:
    """Whether any capacity rule is configured (then every routed request takes its turn)."""
    return state.capacity is not None and bool(state.capacity.queues)


def _fault_error(state: MockState, fault: ErrorFault) -> bytes:
    message = fault.message or state.error(fault.code).message
    return wire.encode_json(wire.error_body(fault.code, message))


def _count(counters: RouteCounters, status: int, code: str | None) -> None:
    statuses = counters.status
    statuses[status] = statuses.get(status, 0) + 1
    if code is not None:
        counters.codes[code] = counters.codes.get(code, 0) + 1
