"""Connection limits: uvicorn's httptools protocol with bounded request size and read time.

uvicorn bounds none of these with httptools (`h11_max_incomplete_event_size`
is h11's only), so a client could hold a connection open forever with half a
request, or make the mock buffer a URL, header or body of any size. Here,
per connection:

| limit | from `MockConfig` | refusal |
|---|---|---|
| request target (path + query) | `max_url_bytes` | 414 |
| request line + headers | `max_header_bytes` | 431 |
| body (Content-Length or chunked) | `max_body_bytes` | 413 |
| a whole request, from its first byte (or from the connection opening) | `request_timeout_seconds` | 408 |
| not HTTP/1.1 | - | 400 |

A refusal is CometChat's error envelope (`ERR_BAD_REQUEST`, the limit in
`details`), then the connection closes. A connection that sent nothing before
its timeout is closed without a reply; idle keep-alive connections close after
`keep_alive_seconds` (watched here with the request deadline, not by uvicorn's timer).
Refused requests never reach the app, so `/_mock/stats` does not count them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from ..protocol import wire
from ._config import MockConfig


@dataclass(frozen=True, slots=True)
class Limits:
    """The connection limits of one server."""

    max_url_bytes: int
    max_header_bytes: int
    max_body_bytes: int
    request_timeout: float
    keep_alive: float = 60.0

    @classmethod
    def of(cls, config: MockConfig) -> Limits:
        """The limits a `MockConfig` sets."""
        return cls(
            config.max_url_bytes,
            config.max_header_bytes,
            config.max_body_bytes,
            config.request_timeout_seconds,
            config.keep_alive_seconds,
        )


class _Refused(Exception):
    """Raised in a parser callback; `data_received` answers it."""

    def __init__(self, status: int, field: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.field = field
        self.detail = detail


def refusal(status: int, field: str, detail: str) -> bytes:
    """A complete HTTP reply with CometChat's error envelope that closes the connection."""
    message = wire.ERROR_MESSAGES[wire.ERR_BAD_REQUEST]
    body = wire.encode_json(wire.error_body(wire.ERR_BAD_REQUEST, message, {field: [detail]}))
    head = b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
    return STATUS_LINE[status] + head % len(body) + body


class LimitedProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` plus the limits in the module docstring (set on a subclass).

    One timer per connection watches both deadlines, the request's (from its first byte,
    or from the connection opening for the first request) and the idle keep-alive's (from
    the last reply); it fires at least every `min(request timeout, keep-alive)` seconds
    while one runs and looks at the clocks, so no request arms or cancels a timer.
    """

    limits: ClassVar[Limits]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._timer: asyncio.TimerHandle | None = None
        self._period = min(self.limits.request_timeout, self.limits.keep_alive)
        self._request_since: float | None = self.loop.time()  # a request is arriving: since when
        self._idle_since: float | None = None  # no request, no reply pending: since when
        self._in_head = True  # the current request's head is not complete yet
        self._started = False  # the current request's first byte has arrived
        self._head_bytes = 0  # bytes received of the current head (while httptools buffers it)
        self._head_size = 0  # the parsed head's size: the URL and each header line
        self._content_length = b""
        self._body_bytes = 0
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as error:  # our callbacks' `_Refused` arrive wrapped
            cause = error.__context__
            if not isinstance(cause, _Refused):
                cause = _Refused(400, "request", "The request is not valid HTTP/1.1.")
            self._refuse(cause)
            return
        if self._in_head and self._started:  # httptools buffers a header until it ends: count bytes
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes:
                self._refuse(_size_error(431, "headers", self.limits.max_header_bytes))

    def handle_websocket_upgrade(self) -> None:
        self._stop_watching()  # the WebSocket protocol takes over the connection
        super().handle_websocket_upgrade()

    def on_response_complete(self) -> None:
        """uvicorn's, with the idle clock of `_watch` instead of a keep-alive timer per reply."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        elif self._request_since is None:
            self._idle_since = self.loop.time()
            self._watch()

    # parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._begin()

    def _begin(self) -> None:
        self._in_head, self._started = True, True
        self._head_bytes = self._body_bytes = 0
        self._head_size, self._content_length = 0, b""
        self._idle_since = None
        if self._request_since is None:  # (the first request's clock started at connect)
            self._request_since = self.loop.time()
            self._watch()

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.limits.max_url_bytes:
            raise _size_error(414, "url", self.limits.max_url_bytes)

    def on_header(self, name: bytes, value: bytes) -> None:
        # uvicorn's, counting the head's size as it goes
        name = name.lower()
        value = value.rstrip(b" \t")  # llhttp keeps trailing whitespace, which is not the value's
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        elif name == b"content-length":
            self._content_length = value
        self.headers.append((name, value))
        self._head_size += len(name) + len(value) + 4

    def on_headers_complete(self) -> None:
        self.check_head()
        super().on_headers_complete()

    def check_head(self) -> None:
        """The head's limits, once it is complete (raises `_Refused`)."""
        self._in_head = False
        if len(self.url) + self._head_size > self.limits.max_header_bytes:  # a head in one piece
            raise _size_error(431, "headers", self.limits.max_header_bytes)
        length = self._content_length
        if length.isdigit() and int(length) > self.limits.max_body_bytes:
            raise _size_error(413, "body", self.limits.max_body_bytes)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > self.limits.max_body_bytes:  # chunked: no Content-Length to check
            raise _size_error(413, "body", self.limits.max_body_bytes)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._request_since = None
        self._started = False
        super().on_message_complete()

    # timeouts and refusal

    def _watch(self) -> None:
        """Make sure the timer runs (a deadline has started)."""
        if self._timer is None:
            self._timer = self.loop.call_later(self._period, self._on_timer)

    def _stop_watching(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._request_since = self._idle_since = None

    def _on_timer(self) -> None:
        self._timer = None
        now = self.loop.time()
        if self._request_since is not None:
            due = self._request_since + self.limits.request_timeout
            if now >= due - _EARLY:
                self._timed_out()
                return
        elif self._idle_since is not None:
            due = self._idle_since + self.limits.keep_alive
            if now >= due - _EARLY:
                if not self.transport.is_closing():
                    self.transport.close()
                return
        else:
            return  # a reply is pending: no deadline runs until it is written
        self._timer = self.loop.call_at(min(due, now + self._period), self._on_timer)

    def _timed_out(self) -> None:
        if not self._started:  # nothing sent: no request to answer
            self._stop_watching()
            self.transport.close()
            return
        seconds = f"{self.limits.request_timeout:g}"
        self._refuse(_Refused(408, "request", f"The request did not arrive whole within {seconds} seconds."))

    def _refuse(self, refused: _Refused) -> None:
        """Answer with the envelope where the connection's state allows, then close."""
        self._stop_watching()
        cycle: Any = self.cycle
        answer = True
        if cycle is not None and not cycle.response_complete:
            # The current request's app is running (and waits for its body), or an earlier
            # request is still being answered: the app sees a disconnect, we reply only if
            # this request's reply would not interleave with another.
            answer = not self._in_head and not cycle.response_started
            cycle.disconnected = True
            cycle.message_event.set()
        if answer and not self.transport.is_closing():
            self.transport.write(refusal(refused.status, refused.field, refused.detail))
        self.transport.close()


_EARLY = 0.002  # a timer may fire a clock tick before its time (uvloop's is in milliseconds)


def _size_error(status: int, field: str, limit: int) -> _Refused:
    return _Refused(status, field, f"The {field} may not be greater than {limit} bytes.")
