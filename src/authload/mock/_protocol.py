"""The mock's HTTP/1.1 protocol: API requests answered as soon as they are read.

uvicorn runs the server (sockets, TLS, signals, graceful shutdown) and the
WebSocket protocol; this is its `http=` protocol class, on httptools (llhttp).
The parser's header callback is a dict's `__setitem__` (no Python frame per
header); names are lower-cased and trailing blanks dropped from values once the
head is complete (a repeated header keeps its last value).

- An API request (`api` set, a path outside `asgi_prefixes`, HTTP/1.1, not HEAD,
  no `Expect`) becomes a `Call` for `HttpPipeline.handle` once its body is in,
  answered on the transport at once: no ASGI scope, task or messages. Only a
  request that has to wait (a latency fault, a capacity queue, a slow body) gets a task.
- Known heads: what was read of such a request's head is kept by its bytes
  (`_remember`). A request that arrives alone in one read with a head seen before
  (a client's next login on the same token) is served without parsing at all:
  llhttp accepted those exact bytes already, and the framing is the one it read.
- Everything else (the admin routes, HEAD, `Expect`, HTTP/1.0, upgrades, every
  request of a plain ASGI app), answering in order, refusals and deadlines:
  `_connection.Connection`, this class's base.

This runs once per request on the mock's hot path: it is written for few
bytecodes (`bench/bench_mock.py` measures it), and says so where that shaped it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

import httptools

from ..protocol import wire
from ._config import SlowBodyFault
from ._connection import API_METHODS, Connection, is_origin_form, split_origin_form
from ._context import Call, MockState
from ._http import (
    JSON,
    NO_HEADERS,
    OK_HEADS,
    Headers,
    HttpPipeline,
    Later,
    Responder,
    error_bytes,
    ok_head,
    reply_head,
)
from ._limits import Limits, Refused, not_http_error, size_error
from ._uvicorn import (
    HIGH_WATER_LIMIT,
    Config,
    FlowControl,
    RequestResponseCycle,
    ServerState,
    get_local_addr,
    get_remote_addr,
    is_ssl,
)

_log = logging.getLogger("authload.mock")
_LINGER_RST = struct.pack("ii", 1, 0)
_BLANKS = b" \t"
_KNOWN_MAX = 2048
# A plain API request's head, as read: (method, path, query, headers, body length). Its headers
# dict is shared by every request with that head: handlers only read a call's headers.
Known = tuple[str, str, bytes, dict[bytes, bytes], int]


class MockProtocol(Connection, asyncio.Protocol):
    """One HTTP/1.1 connection (the class attributes are set on a subclass: `protocol_class`)."""

    # A connection's state, packed in slots: it is read on every request.
    __slots__ = tuple(
        "config app server_state app_state loop transport flow client server scheme parser on_header"
        " _fields _feed _time _handle _url _body _in_head _write_paused _chunk _head_bytes _head".split()
    )

    api: ClassVar[HttpPipeline | None]  # None: every request is an ASGI cycle
    state: ClassVar[MockState | None]  # the API's
    asgi_prefixes: ClassVar[tuple[str, ...]]  # paths that are ASGI cycles even with `api`
    _known: ClassVar[dict[bytes, Known]]  # a server's plain API heads, read (`_remember`)

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:  # (uvicorn's signature for `http=` classes)
        if not config.loaded:
            config.load()
        self.config, self.app = config, config.loaded_app
        self.server_state, self.app_state = server_state, app_state
        self.loop = _loop or asyncio.get_event_loop()

    # --- asyncio.Protocol ----------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.transport, self.flow = transport, FlowControl(transport)
        self.client, self.server = get_remote_addr(transport), get_local_addr(transport)
        self.scheme = "https" if is_ssl(transport) else "http"
        self._fields: dict[bytes, bytes] = {}
        self.on_header: Callable[[bytes, bytes], None] = self._fields.__setitem__  # no Python frame
        self.parser = httptools.HttpRequestParser(self)
        try:  # a request pipelined behind `Connection: close` is not an error before its turn
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        except AttributeError:  # httptools < 0.6.3
            pass
        self._feed, self._time = self.parser.feed_data, self.loop.time
        self._handle: Callable[[Call, Responder], Later] = self.api.handle if self.api else _no_api
        self._url = self._body = b""
        self._body_bytes = 0
        self._reading = self._answering = self._websocket = None
        self._queue = deque()
        self._in_message = self._in_head = self._write_paused = False
        self._chunk = self._head_bytes = 0  # this read's size; an unfinished head's earlier reads'
        self._head: bytes | None = None
        self.start_watch(self._time())
        self.server_state.connections.add(self)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        if not (self._in_message or self._answering or self._queue or self._write_paused):
            # A request alone in this read, with a head seen before (`_known`): no parsing.
            end = data.find(b"\r\n\r\n") + 4
            if end > 4:
                head = data[:end]
                known = self._known.get(head)
                if known is not None and len(data) - end == known[4]:
                    name, path, query, headers, _ = known
                    self.request_since = self.idle_since = None
                    state: Any = self.state  # (a known head is an API request's: there is a state)
                    self._answer(Call(state, name, path, headers, data[end:], query, self.client))
                    return
                self._head = head  # (the head of this read's first request, to remember)
        self._chunk = len(data)
        try:
            self._feed(data)
        except httptools.HttpParserUpgrade:
            self._upgrade()
            return
        except httptools.HttpParserError as error:  # our callbacks' exceptions arrive wrapped
            cause = error.__context__
            if cause is not None and not isinstance(cause, Refused):
                _log.error("mock protocol failed", exc_info=cause)  # a mock bug, not the client's
            self._refuse(cause if isinstance(cause, Refused) else not_http_error())
            return
        self._head = None
        if self._in_head:  # the head goes on in the next read (llhttp keeps a header to itself)
            self._head_bytes += self._chunk  # (at least what arrived of the head)
            if self._head_bytes > self.limits.max_header_bytes:
                self._refuse(size_error(431, "headers", self.limits.max_header_bytes))

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        self.stop_watch()
        self._disconnect_cycles()
        self.flow.resume_writing()
        if exc is None:
            self.transport.close()

    def eof_received(self) -> None:
        pass  # (uvicorn's: the transport closes)

    def pause_writing(self) -> None:
        self._write_paused = True
        self.flow.pause_writing()

    def resume_writing(self) -> None:
        self._write_paused = False
        self.flow.resume_writing()
        self._drain()

    # --- parser callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_message = self._in_head = True
        self.idle_since = None
        if self.request_since is None:  # (the first request's clock started at connect)
            self.request_since = self._time()
            if self._timer is None:
                self.watch()

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > self.limits.max_url_bytes:
            raise size_error(414, "url", self.limits.max_url_bytes)

    def on_headers_complete(self) -> None:
        self._in_head = False
        head, self._head = self._head, None
        fields, limits = self._fields, self.limits
        headers = {name.lower(): value.rstrip(_BLANKS) for name, value in fields.items()}
        fields.clear()
        if self._head_bytes + self._chunk > limits.max_header_bytes:  # (an upper bound of the head)
            self._check_head(headers)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limits.max_body_bytes:
            raise size_error(413, "body", limits.max_body_bytes)
        url, self._url = self._url, b""
        parser = self.parser
        method = parser.get_method()
        name = API_METHODS.get(method)
        # The common API request, in a few steps: llhttp keeps only HTTP/1.1 alive without a
        # `Connection` header (which an upgrade needs too); no `Expect`; an origin-form target.
        if (
            name is not None
            and self.state is not None
            and b"connection" not in headers
            and b"expect" not in headers
            and is_origin_form(url)
            and parser.should_keep_alive()
        ):
            _, path, query = split_origin_form(url)
            if not path.startswith(self.asgi_prefixes):
                self._reading = Call(self.state, name, path, headers, b"", query, self.client)
                if head is not None and head.startswith(method) and b"transfer-encoding" not in headers:
                    self._remember(head, (name, path, query, headers, int(length) if length else 0))
                return
        self._read_head(method, url, headers)

    def _remember(self, head: bytes, request: Known) -> None:
        """Keep what llhttp and this protocol read of a plain API request's head, by its bytes."""
        known = self._known
        if len(known) >= _KNOWN_MAX:
            known.clear()  # (a run's heads repeat: the ones in use come back at once)
        known[head] = request

    def _check_head(self, headers: dict[bytes, bytes]) -> None:
        """The head's exact size against its limit (431)."""
        self._head_bytes = 0
        size = len(self._url) + sum(len(name) + len(value) + 4 for name, value in headers.items())
        if size > self.limits.max_header_bytes:
            raise size_error(431, "headers", self.limits.max_header_bytes)

    def on_body(self, body: bytes) -> None:
        reading = self._reading
        if type(reading) is Call:
            body = self._body + body  # (one piece, for most requests: no copy)
            if len(body) > self.limits.max_body_bytes:  # chunked: no Content-Length to check
                raise size_error(413, "body", self.limits.max_body_bytes)
            self._body = body
            return
        self._body_bytes += len(body)
        if self._body_bytes > self.limits.max_body_bytes:
            raise size_error(413, "body", self.limits.max_body_bytes)
        if isinstance(reading, RequestResponseCycle) and not reading.response_complete:
            reading.body += body
            if len(reading.body) > HIGH_WATER_LIMIT:
                self.flow.pause_reading()
            reading.message_event.set()

    def on_message_complete(self) -> None:
        self._in_message = False
        self.request_since = None
        reading = self._reading
        if type(reading) is Call:
            self._reading = None
            reading.body, self._body = self._body, b""
            if self._answering is None and not self._queue and not self._write_paused:
                if not self.transport.is_closing():  # (after `Connection: close`: not answered)
                    self._answer(reading)
            else:
                self._queue.append(reading)
                self.flow.pause_reading()
        elif isinstance(reading, RequestResponseCycle):
            self._reading = None
            if not reading.response_complete:
                reading.more_body = False
                reading.message_event.set()

    # --- answering, in order ---------------------------------------------------------

    def _answer(self, call: Call) -> None:
        """Serve an API request; its reply is written before this returns unless it waits."""
        self._answering = call
        later = self._handle(call, self)
        if later is not None:
            self._track(self._finish_later(call, later))

    async def _finish_later(self, call: Call, later: Coroutine[Any, Any, None]) -> None:
        try:
            await later
        except Exception:  # a mock bug: the connection must not hang on it
            _log.exception("mock request failed: %s %s", call.method, call.path)
        if self._answering is call:  # (no reply was written: the bug above; as the pipeline answers one)
            failed = call.state.error(wire.ERR_OPERATION_FAILED)
            self.reply(failed.status, error_bytes(failed), NO_HEADERS)
        self._drain()

    # --- Responder (of the API request being answered) --------------------------------

    def reply(self, status: int, body: bytes, headers: Headers, content_type: bytes = JSON) -> None:
        keep_alive = self._answering.keep_alive  # type: ignore[union-attr]
        transport = self.transport
        if transport.is_closing():  # the client is gone (the request is still counted)
            self._answering = None
            return
        if status == 200 and not headers and keep_alive and content_type is JSON:
            head = OK_HEADS.get(len(body)) or ok_head(len(body))
            transport.write(head + body)
            self._answering = None  # (`_answered`, written out: every request comes here)
            if self.request_since is None and not self._queue:
                self.idle_since = self._time()
                if self._timer is None:
                    self.watch()
            return
        transport.write(reply_head(status, len(body), headers, content_type, keep_alive) + body)
        self._answered(keep_alive)

    def reset(self) -> None:
        self._answering = None
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        self.transport.abort()

    async def reply_slowly(self, status: int, body: bytes, headers: Headers, fault: SlowBodyFault) -> None:
        call = self._answering
        assert call is not None
        transport = self.transport
        if not transport.is_closing():
            transport.write(reply_head(status, len(body), headers, JSON, call.keep_alive))
        for offset in range(0, len(body), fault.chunk_bytes):
            if offset:
                await asyncio.sleep(fault.chunk_delay_ms / 1000.0)
            if transport.is_closing():
                self._answering = None
                return
            transport.write(body[offset : offset + fault.chunk_bytes])
        self._answered(call.keep_alive)


def _no_api(call: Call, responder: Responder) -> Later:
    raise TypeError("a plain ASGI server has no API path")  # (never called: it makes no Call)


def protocol_class(
    limits: Limits, api: HttpPipeline | None = None, asgi_prefixes: tuple[str, ...] = ()
) -> type[asyncio.Protocol]:
    """uvicorn's `http=` protocol class with these limits; with `api`, API requests (every
    path not under `asgi_prefixes`) are answered straight on the transport."""
    state = api.state if api is not None else None
    attributes = {
        "__slots__": (),
        "limits": limits,
        "api": api,
        "state": state,
        "asgi_prefixes": asgi_prefixes,
        "_known": {},
    }
    return type("MockHttpProtocol", (MockProtocol,), attributes)
