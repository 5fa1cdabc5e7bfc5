"""The mock's HTTP/1.1 protocol: CometChat API requests answered straight on the transport.

uvicorn serves a request as an ASGI cycle: a scope, a task, `receive` and
`send` messages, header checks on the way out. For the API that is most of the
mock's CPU per request, so here an API request skips it: once its body is in,
`HttpPipeline.handle` runs in the parser's callback and the reply is written
at once (`_Direct` is both the request's cycle and its `Responder`). A request
that has to wait (a latency fault, a capacity queue, a slow body) continues in
a task; only then is there one.

Everything else keeps uvicorn's own path, unchanged: the admin routes
(`/_mock/*`), the WebSocket upgrade on `/`, HEAD, `Expect: 100-continue` and
HTTP/1.0. The limits of `_limits.LimitedProtocol` apply to both paths.

A `_Direct` carries the fields of uvicorn's `RequestResponseCycle` that the
protocol reads (`response_complete`, `disconnected`, `keep_alive`, ...), so
pipelined requests queue behind an unfinished reply of either kind, in order.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import urllib.parse
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from ..protocol import wire
from ._config import SlowBodyFault
from ._http import Headers, HttpPipeline, Later, Request
from ._limits import LimitedProtocol, Limits

_log = logging.getLogger("authload.mock")
_JSON = b"application/json"
_LINGER_RST = struct.pack("ii", 1, 0)


class _NoEvent:
    """uvicorn's protocol sets its cycle's `message_event`; a direct request waits on nothing."""

    __slots__ = ()

    def set(self) -> None:
        pass


_NO_EVENT = _NoEvent()


def _status_line(status: int) -> bytes:
    line = STATUS_LINE.get(status)
    return line if line is not None else b"HTTP/1.1 %d \r\n" % status


class _Direct:
    """One API request on the direct path: its cycle state and its `Responder`."""

    __slots__ = (
        "protocol",
        "request",
        "body",
        "more_body",
        "started",
        "response_started",
        "response_complete",
        "disconnected",
        "keep_alive",
        "message_event",
    )

    def __init__(self, protocol: MockProtocol, request: Request, keep_alive: bool) -> None:
        self.protocol = protocol
        self.request = request
        self.body = b""
        self.more_body = True
        self.started = False  # its turn has come (no earlier reply on the connection is pending)
        self.response_started = self.response_complete = self.disconnected = False
        self.keep_alive = keep_alive
        self.message_event = _NO_EVENT

    # Responder

    def reply(self, status: int, body: bytes, headers: Headers, content_type: bytes = _JSON) -> None:
        if self.response_started or self.disconnected:  # the client is gone (it is still counted)
            self.response_started = self.response_complete = True
            return
        self.response_started = True
        self.protocol.transport.write(self._head(status, len(body), headers, content_type) + body)
        self._complete()

    def reset(self) -> None:
        self.response_started = self.response_complete = True
        transport = self.protocol.transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        transport.abort()

    async def reply_slowly(self, status: int, body: bytes, headers: Headers, fault: SlowBodyFault) -> None:
        if self.response_started or self.disconnected:
            self.response_started = self.response_complete = True
            return
        self.response_started = True
        transport = self.protocol.transport
        transport.write(self._head(status, len(body), headers, _JSON))
        for offset in range(0, len(body), fault.chunk_bytes):
            if offset:
                await asyncio.sleep(fault.chunk_delay_ms / 1000.0)
            if self.disconnected:
                self.response_complete = True
                return
            transport.write(body[offset : offset + fault.chunk_bytes])
        self._complete()

    # internals

    def _head(self, status: int, length: int, headers: Headers, content_type: bytes) -> bytes:
        parts = [
            _status_line(status),
            b"content-type: ",
            content_type,
            b"\r\ncontent-length: %d\r\n" % length,
        ]
        for name, value in headers:
            parts += (name, b": ", value, b"\r\n")
        parts.append(b"\r\n" if self.keep_alive else b"connection: close\r\n\r\n")
        return b"".join(parts)

    def _complete(self) -> None:
        self.response_complete = True
        if not self.keep_alive:
            self.protocol.transport.close()
        self.protocol.reply_complete()


class MockProtocol(LimitedProtocol):
    """`LimitedProtocol` that serves API requests itself (set `api` on a subclass)."""

    api: ClassVar[HttpPipeline]  # (uvicorn's `pipeline` is its queue of pipelined requests)
    uvicorn_prefixes: ClassVar[tuple[str, ...]]  # paths that keep uvicorn's ASGI path

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._completing = False  # inside `reply_complete` (its loop serves what queued behind)
        self._again = False

    def on_message_begin(self) -> None:
        # uvicorn's, less its ASGI scope: built only for a request that takes uvicorn's path
        self.url = b""
        self.expect_100_continue = False
        self.headers = []
        self._begin()

    def _to_uvicorn(self) -> None:
        """Hand the request, its head complete, to uvicorn's ASGI path."""
        url, headers, expect = self.url, self.headers, self.expect_100_continue
        HttpToolsProtocol.on_message_begin(self)  # the scope, as uvicorn builds it
        self.url, self.headers, self.expect_100_continue = url, headers, expect
        self.scope["headers"] = headers
        HttpToolsProtocol.on_headers_complete(self)

    def on_headers_complete(self) -> None:
        self.check_head()
        parser = self.parser
        method = parser.get_method()
        if (
            method == b"HEAD"
            or self.expect_100_continue
            or parser.should_upgrade()
            or parser.get_http_version() != "1.1"
        ):
            self._to_uvicorn()
            return
        url = httptools.parse_url(self.url)
        path = url.path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        if path.startswith(self.uvicorn_prefixes):
            self._to_uvicorn()
            return
        request = Request(
            method.decode("ascii"), path, url.query or b"", dict(self.headers), b"", False, self.client
        )
        direct = _Direct(self, request, parser.should_keep_alive())
        existing: Any = self.cycle
        self.cycle = direct  # type: ignore[assignment]
        if existing is None or existing.response_complete:
            direct.started = True
        else:  # pipelined behind a reply still being written: its turn comes in `_start_asgi_task`
            self.flow.pause_reading()
            self.pipeline.appendleft((direct, None))  # type: ignore[arg-type]

    def on_body(self, body: bytes) -> None:
        cycle: Any = self.cycle
        if type(cycle) is not _Direct:
            super().on_body(body)
            return
        self._body_bytes += len(body)  # (the limit check of `LimitedProtocol.on_body`)
        if self._body_bytes > self.limits.max_body_bytes:
            super().on_body(body)  # raises the refusal
        cycle.body += body

    def on_message_complete(self) -> None:
        cycle: Any = self.cycle
        if type(cycle) is not _Direct:
            super().on_message_complete()
            return
        self._request_since = None
        self._started = False
        cycle.more_body = False
        if cycle.started:
            self._serve(cycle)

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        if type(cycle) is not _Direct:
            super()._start_asgi_task(cycle, app)
            return
        cycle.started = True
        if not cycle.more_body:
            self._serve(cycle)

    def _serve(self, direct: _Direct) -> None:
        request = direct.request
        request.body = direct.body
        later = self.api.handle(request, direct)
        if later is not None:
            task = self.loop.create_task(self._finish_later(direct, later))
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)

    async def _finish_later(self, direct: _Direct, later: Later) -> None:
        try:
            if later is not None:
                await later
        except Exception:  # a mock bug: the connection must not hang on it
            _log.exception("mock request failed: %s %s", direct.request.method, direct.request.path)
            message = wire.ERROR_MESSAGES.get(wire.ERR_OPERATION_FAILED, wire.ERR_OPERATION_FAILED)
            direct.reply(500, wire.encode_json(wire.error_body(wire.ERR_OPERATION_FAILED, message)), [])

    def reply_complete(self) -> None:
        """A direct reply is written: what uvicorn does after a response, without recursing
        into the requests queued behind it (each of those may complete at once too)."""
        if self._completing:
            self._again = True
            return
        self._completing = True
        try:
            self._again = True
            while self._again:
                self._again = False
                self.on_response_complete()
        finally:
            self._completing = False


def protocol_class(
    limits: Limits, api: HttpPipeline | None = None, uvicorn_prefixes: tuple[str, ...] = ()
) -> type[asyncio.Protocol]:
    """uvicorn's `http=` protocol class with these limits; with `api`, API requests (every
    path not under `uvicorn_prefixes`) take the direct path."""
    if api is None:
        return type("LimitedHttpToolsProtocol", (LimitedProtocol,), {"limits": limits})
    attributes = {"limits": limits, "api": api, "uvicorn_prefixes": uvicorn_prefixes}
    return type("MockHttpProtocol", (MockProtocol,), attributes)
