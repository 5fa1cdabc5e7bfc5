"""The mock's HTTP/1.1 protocol: API requests answered in the parser's callbacks.

uvicorn runs the server (sockets, TLS, signals, graceful shutdown) and the
WebSocket protocol; this is its `http=` protocol class, on httptools (llhttp).
The parser's header callback is a dict's `__setitem__` (no Python frame per
header); names are lower-cased and trailing blanks dropped from values once the
head is complete. A header repeated under one name keeps its last value; under
names that differ only in case, one of them.

- An API request (`api` set, a path outside `asgi_prefixes`, HTTP/1.1, not HEAD,
  no `Expect`) is a `Call` for `HttpPipeline.handle` once its body is in, answered
  on the transport at once: no ASGI scope, task or messages. Only a request that
  has to wait (a latency fault, a capacity queue, a slow body) gets a task.
- Every other request (the admin routes; every request of a plain ASGI app) runs
  as uvicorn's own ASGI cycle (`RequestResponseCycle`), so its behaviour is uvicorn's.
- A WebSocket upgrade hands the connection to uvicorn's WebSocket protocol.

A connection answers its requests in order: one read while an earlier one is
being answered waits in `_queue` (and reading pauses until it is empty). The
limits of `_limits` (sizes, time) apply to every request. This runs once per
request on the mock's hot path: it is written for few bytecodes, and says so
where that shaped it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import urllib.parse
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT, FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle
from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl
from uvicorn.server import ServerState

from ..protocol import wire
from ._asgi_requests import API_METHODS, AsgiRequests
from ._config import SlowBodyFault
from ._context import Call, MockState
from ._http import JSON, OK_HEADS, Headers, HttpPipeline, Later, ok_head, reply_head
from ._limits import Limits, Refused, not_http_error, refusal, size_error

_log = logging.getLogger("authload.mock")
_uvicorn_log = logging.getLogger("uvicorn.error")
_LINGER_RST = struct.pack("ii", 1, 0)
_BLANKS = b" \t"
_SLASH, _HASH = ord("/"), b"#"


class MockProtocol(AsgiRequests, asyncio.Protocol):
    """One HTTP/1.1 connection (the class attributes are set on a subclass: `protocol_class`)."""

    # A connection's state, packed in slots: it is read on every request.
    __slots__ = tuple(
        "config app server_state app_state loop transport flow client server scheme parser on_header"
        " _fields _feed _time _handle _url _body _in_message _in_head _write_paused _chunk"
        " _head_bytes".split()
    )

    api: ClassVar[HttpPipeline | None]  # None: every request is an ASGI cycle
    state: ClassVar[MockState | None]  # the API's
    asgi_prefixes: ClassVar[tuple[str, ...]]  # paths that are ASGI cycles even with `api`

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
        self._handle = self.api.handle if self.api is not None else None
        self._url = self._body = b""
        self._body_bytes = 0
        self._reading = self._answering = self._websocket = None
        self._queue = deque()
        self._in_message = self._in_head = self._write_paused = False
        self._chunk = self._head_bytes = 0  # this read's size; an unfinished head's earlier reads'
        self.start_watch(self._time())
        self.server_state.connections.add(self)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
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

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: close now, or once the reply being written is done."""
        answering = self._answering
        if answering is None:
            self.transport.close()
        else:
            answering.keep_alive = False

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
            and url[0] == _SLASH
            and _HASH not in url
            and parser.should_keep_alive()
        ):
            raw_path, _, query = url.partition(b"?")
            path = raw_path.decode("ascii")
            if "%" in path:
                path = urllib.parse.unquote(path)
            if not path.startswith(self.asgi_prefixes):
                self._reading = Call(self.state, name, path, headers, b"", query, self.client)
                return
        self._read_head(method, url, headers)

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
                    self._answering = reading
                    later = self._handle(reading, self)  # type: ignore[misc]
                    if later is not None:
                        self._track(self._finish_later(reading, later))
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
        """Serve an API request; its reply is written before this returns unless it waits.
        (`on_message_complete` does the same, written out.)"""
        self._answering = call
        later = self._handle(call, self)  # type: ignore[misc]
        if later is not None:
            self._track(self._finish_later(call, later))

    async def _finish_later(self, call: Call, later: Later) -> None:
        try:
            await later  # type: ignore[misc]
        except Exception:  # a mock bug: the connection must not hang on it
            _log.exception("mock request failed: %s %s", call.method, call.path)
        if self._answering is call:  # (no reply was written: the bug above)
            message = wire.ERROR_MESSAGES.get(wire.ERR_OPERATION_FAILED, wire.ERR_OPERATION_FAILED)
            self.reply(500, wire.encode_json(wire.error_body(wire.ERR_OPERATION_FAILED, message)), [])
        self._drain()

    def _track(self, work: Any) -> None:
        task = self.loop.create_task(work)
        tasks = self.server_state.tasks
        task.add_done_callback(tasks.discard)
        tasks.add(task)

    def _drain(self) -> None:
        """Answer the requests that waited their turn, in order, while each is answered at once."""
        queue = self._queue
        while queue and self._answering is None and not self._write_paused:
            if self.transport.is_closing():
                return
            pending = queue.popleft()
            if isinstance(pending, Call):
                self._answer(pending)
            else:
                self._start(pending)
        if not queue:
            self.flow.resume_reading()

    def _answered(self, keep_alive: bool) -> None:
        """A reply is written: close, or start the idle clock unless the next request began."""
        self._answering = None
        if not keep_alive:
            self.transport.close()
        elif self.request_since is None and not self._queue:
            self.idle_since = self._time()
            if self._timer is None:
                self.watch()

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

    # --- refusals, deadlines ----------------------------------------------------------

    def _refuse(self, refused: Refused) -> None:
        """Answer a refused request where that interleaves with no other reply, then close."""
        self.stop_watch()
        answering = self._answering
        answer = answering is None or (  # an ASGI app still reading this request's body
            isinstance(answering, RequestResponseCycle)
            and answering is self._reading
            and not answering.response_started
        )
        self._disconnect_cycles()
        if answer and not self.transport.is_closing():
            self.transport.write(refusal(refused))
        self.transport.close()

    def request_timed_out(self) -> None:
        if not self._in_message:  # nothing sent: no request to answer
            self.transport.close()
            return
        seconds = f"{self.limits.request_timeout:g}"
        self._refuse(Refused(408, "request", f"The request did not arrive whole within {seconds} seconds."))

    def idle_timed_out(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()


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
    }
    return type("MockHttpProtocol", (MockProtocol,), attributes)
