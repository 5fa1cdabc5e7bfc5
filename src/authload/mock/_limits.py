"""Connection limits: bounded request size and read time, and the refusals that say so.

A client could otherwise hold a connection open forever with half a request, or
make the mock buffer a URL, header or body of any size. Per connection
(`_protocol.MockProtocol` applies them):

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
`keep_alive_seconds`. Refused requests never reach the app, so `/_mock/stats`
does not count them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from ..protocol import wire
from ._config import MockConfig
from ._http import JSON, NO_HEADERS, reply_head


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


class Refused(Exception):
    """A request over a limit; raised in a parser callback, answered by the protocol."""

    def __init__(self, status: int, field: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.field = field
        self.detail = detail


def size_error(status: int, field: str, limit: int) -> Refused:
    """The refusal of a `field` over `limit` bytes."""
    return Refused(status, field, f"The {field} may not be greater than {limit} bytes.")


def not_http_error() -> Refused:
    """The refusal of bytes that are not an HTTP/1.1 request."""
    return Refused(400, "request", "The request is not valid HTTP/1.1.")


def refusal(refused: Refused) -> bytes:
    """A complete HTTP reply with CometChat's error envelope that closes the connection."""
    message = wire.ERROR_MESSAGES[wire.ERR_BAD_REQUEST]
    body = wire.encode_json(wire.error_body(wire.ERR_BAD_REQUEST, message, {refused.field: [refused.detail]}))
    return reply_head(refused.status, len(body), NO_HEADERS, JSON, keep_alive=False) + body


_EARLY = 0.002  # a timer may fire a clock tick before its time (uvloop's is in milliseconds)


class DeadlineWatch:
    """A connection's two deadlines, watched by one lazy timer (a mixin of the protocol).

    The request's deadline runs from its first byte (from the connection opening, for
    the first request) until it has arrived whole; the idle deadline runs from the last
    reply until the next request begins. The protocol sets `request_since` and
    `idle_since` (plain attributes: no call per request) and calls `watch` when one
    starts and `_timer` is None; the timer fires at least every `min(request timeout,
    keep-alive)` seconds while a deadline runs and looks at the clocks, so no request
    arms or cancels a timer.
    """

    __slots__ = ("request_since", "idle_since", "_timer")

    limits: ClassVar[Limits]
    loop: asyncio.AbstractEventLoop
    request_since: float | None  # a request is arriving: since when
    idle_since: float | None  # no request, no reply pending: since when
    _timer: asyncio.TimerHandle | None

    def start_watch(self, now: float) -> None:
        """The connection opened at `now`: its first request's clock starts."""
        self.request_since, self.idle_since, self._timer = now, None, None
        self.watch()

    def watch(self) -> None:
        """Make sure the timer runs (a deadline has started)."""
        if self._timer is None:
            period = min(self.limits.request_timeout, self.limits.keep_alive)
            self._timer = self.loop.call_later(period, self._on_timer)

    def stop_watch(self) -> None:
        """No deadline from now on (the connection is closing or handed over)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.request_since = self.idle_since = None

    def request_timed_out(self) -> None:
        """The request did not arrive whole in time."""
        raise NotImplementedError

    def idle_timed_out(self) -> None:
        """The connection stayed idle for the keep-alive time."""
        raise NotImplementedError

    def _on_timer(self) -> None:
        self._timer = None
        now, limits = self.loop.time(), self.limits
        if self.request_since is not None:
            due = self.request_since + limits.request_timeout
            if now >= due - _EARLY:
                self.stop_watch()
                self.request_timed_out()
                return
        elif self.idle_since is not None:
            due = self.idle_since + limits.keep_alive
            if now >= due - _EARLY:
                self.stop_watch()
                self.idle_timed_out()
                return
        else:
            return  # a reply is pending: no deadline runs until it is written
        period = min(limits.request_timeout, limits.keep_alive)
        self._timer = self.loop.call_at(min(due, now + period), self._on_timer)
