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
`keep_alive_seconds` (uvicorn's `timeout_keep_alive`, set by `serve_app`).
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


def protocol_class(limits: Limits) -> type[asyncio.Protocol]:
    """uvicorn's `http=` protocol class with these limits."""
    return type("LimitedHttpToolsProtocol", (LimitedProtocol,), {"limits": limits})


class LimitedProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` plus the limits in the module docstring (set on a subclass)."""

    limits: ClassVar[Limits]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head = True  # the current request's head is not complete yet
        self._started = False  # the current request's first byte has arrived
        self._head_bytes = 0
        self._body_bytes = 0
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
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
        self._disarm()  # the WebSocket protocol takes over the connection
        super().handle_websocket_upgrade()

    # parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._started = True, True
        self._head_bytes = self._body_bytes = 0
        if self._deadline is None:  # armed at connect for the first request
            self._arm()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.max_url_bytes:
            raise _size_error(414, "url", self.limits.max_url_bytes)

    def on_headers_complete(self) -> None:
        self._in_head = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.max_header_bytes:  # a head that arrived in one piece
            raise _size_error(431, "headers", self.limits.max_header_bytes)
        length = next((value for name, value in self.headers if name == b"content-length"), b"")
        if length.isdigit() and int(length) > self.limits.max_body_bytes:
            raise _size_error(413, "body", self.limits.max_body_bytes)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > self.limits.max_body_bytes:  # chunked: no Content-Length to check
            raise _size_error(413, "body", self.limits.max_body_bytes)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        self._started = False
        super().on_message_complete()

    # timeout and refusal

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.limits.request_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        if not self._started:  # nothing sent: no request to answer
            self.transport.close()
            return
        seconds = f"{self.limits.request_timeout:g}"
        self._refuse(_Refused(408, "request", f"The request did not arrive whole within {seconds} seconds."))

    def _refuse(self, refused: _Refused) -> None:
        """Answer with the envelope where the connection's state allows, then close."""
        self._disarm()
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


def _size_error(status: int, field: str, limit: int) -> _Refused:
    return _Refused(status, field, f"The {field} may not be greater than {limit} bytes.")
