"""A connection's requests in order, and the ones the mock serves as uvicorn would.

`MockProtocol` (`_protocol`) reads requests and answers API requests on the
transport itself. This is its base: what every request of a connection shares.

- Answering in order: a request read while an earlier one is being answered waits
  in `_queue` (reading pauses until it is empty); `_drain` serves them in turn.
- ASGI cycles: every request that is not an API request for the direct path (the
  admin routes, HEAD, `Expect: 100-continue`, HTTP/1.0 and other versions, every
  request of a plain ASGI app) runs as uvicorn's own `RequestResponseCycle`, its
  scope built as uvicorn builds it. A WebSocket upgrade hands the connection to
  uvicorn's WebSocket protocol.
- Refusals and deadlines: a request over a limit (`_limits`) is answered with its
  refusal where that interleaves with no other reply; then the connection closes.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import httptools

from ._context import Call, MockState
from ._limits import DeadlineWatch, Limits, Refused, not_http_error, refusal
from ._uvicorn import Config, FlowControl, RequestResponseCycle, ServerState

_uvicorn_log = logging.getLogger("uvicorn.error")
_SLASH, _HASH = ord("/"), b"#"
API_METHODS = {method.encode(): method for method in ("GET", "POST", "PUT", "DELETE", "PATCH")}

Pending = Call | RequestResponseCycle  # a request read (or its ASGI cycle), not yet answered


class Connection(DeadlineWatch):
    """The requests of one connection (`MockProtocol`'s base: the state both use is declared
    here, the protocol's own there)."""

    __slots__ = ("_reading", "_answering", "_queue", "_websocket", "_body_bytes", "_in_message")

    state: ClassVar[MockState | None]
    asgi_prefixes: ClassVar[tuple[str, ...]]
    config: Config
    app: Any
    server_state: ServerState
    app_state: dict[str, Any]
    transport: asyncio.Transport
    flow: FlowControl
    client: tuple[str, int] | None
    server: tuple[str, int | None] | None
    scheme: str
    parser: httptools.HttpRequestParser
    _reading: Pending | None  # the request whose head or body is arriving
    _answering: Pending | None  # the request being answered
    _queue: deque[Pending]  # requests read, waiting for their turn
    _websocket: tuple[bytes, bytes, dict[bytes, bytes]] | None  # an upgrade's head
    _body_bytes: int  # of an ASGI cycle's body
    _in_message: bool  # a request has begun to arrive
    _write_paused: bool
    _time: Callable[[], float]  # the loop's clock
    limits: ClassVar[Limits]

    if TYPE_CHECKING:  # (what the protocol provides)

        def _answer(self, call: Call) -> None: ...

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: close now, or once the reply being written is done."""
        answering = self._answering
        if answering is None:
            self.transport.close()
        else:
            answering.keep_alive = False

    # --- answering, in order

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

    # --- ASGI cycles and upgrades

    def _read_head(self, method: bytes, url: bytes, headers: dict[bytes, bytes]) -> None:
        """Any other head: its version, an upgrade, `Expect`, HEAD; an ASGI cycle or an API call."""
        parser = self.parser
        keep_alive = parser.should_keep_alive()
        # llhttp keeps an HTTP/1.1 connection alive unless told otherwise, and no other version
        # without a `Connection` header: only that header leaves the version to be asked.
        version = "1.1" if keep_alive and b"connection" not in headers else parser.get_http_version()
        if parser.should_upgrade() and headers.get(b"upgrade", b"").lower() == b"websocket":
            self._websocket = (method, url, headers)  # `HttpParserUpgrade` follows
            return
        if is_origin_form(url):
            raw_path, path, query = split_origin_form(url)
        else:
            raw_path, query = _parse_target(url)
            path = _decoded(raw_path)
        keep_alive = keep_alive and version != "1.0"
        expect = headers.get(b"expect")
        continues = expect is not None and expect.lower() == b"100-continue"
        name = API_METHODS.get(method)
        if (
            self.state is not None
            and name is not None
            and version == "1.1"
            and not continues
            and not path.startswith(self.asgi_prefixes)
        ):
            self._reading = Call(self.state, name, path, headers, b"", query, self.client, keep_alive)
            return
        cycle = self._cycle(method, version, path, raw_path, query, headers, continues, keep_alive)
        self._reading, self._body_bytes = cycle, 0
        if self._answering is None and not self._queue:
            self._start(cycle)
        else:
            self._queue.append(cycle)
            self.flow.pause_reading()

    def _start(self, cycle: RequestResponseCycle) -> None:
        self._answering = cycle
        self._track(cycle.run_asgi(self.app))

    def _asgi_answered(self) -> None:
        """An ASGI cycle's reply is complete (its `on_response`); it closed the transport itself."""
        self._answered(True)
        if not self.transport.is_closing():
            self._drain()

    def _cycle(
        self,
        method: bytes,
        version: str,
        path: str,
        raw_path: bytes,
        query: bytes,
        headers: dict[bytes, bytes],
        continues: bool,
        keep_alive: bool,
    ) -> RequestResponseCycle:
        """uvicorn's ASGI cycle for one request, its scope as uvicorn builds it."""
        config = self.config
        scope: Any = {
            "type": "http",
            "asgi": {"version": config.asgi_version, "spec_version": "2.3"},
            "http_version": version,
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "root_path": config.root_path,
            "headers": list(headers.items()),
            "state": self.app_state.copy(),
            "method": method.decode("ascii"),
            "path": config.root_path + path,
            "raw_path": config.root_path.encode("ascii") + raw_path,
            "query_string": query,
        }
        return RequestResponseCycle(
            scope=scope,
            transport=self.transport,
            flow=self.flow,
            logger=_uvicorn_log,
            access_logger=logging.getLogger("uvicorn.access"),
            access_log=False,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=continues,
            keep_alive=keep_alive,
            on_response=self._asgi_answered,
        )

    def _upgrade(self) -> None:
        """The parser stopped at an upgrade: a WebSocket's goes to uvicorn's WebSocket protocol."""
        if self._websocket is None:  # another protocol: its request was answered as a plain one
            _uvicorn_log.warning("Unsupported upgrade request.")
            self.shutdown()
            return
        method, url, headers = self._websocket
        self.stop_watch()  # the WebSocket protocol has its own
        self.server_state.connections.discard(self)
        head = [method, b" ", url, b" HTTP/1.1\r\n"]
        for name, value in headers.items():
            head += (name, b": ", value, b"\r\n")
        head.append(b"\r\n")
        ws_class: Any = self.config.ws_protocol_class
        protocol = ws_class(config=self.config, server_state=self.server_state, app_state=self.app_state)
        protocol.connection_made(self.transport)
        protocol.data_received(b"".join(head))
        self.transport.set_protocol(protocol)

    def _disconnect_cycles(self) -> None:
        """The ASGI apps of this connection see a disconnect."""
        for pending in (self._answering, self._reading, *self._queue):
            if isinstance(pending, RequestResponseCycle):
                if not pending.response_complete:
                    pending.disconnected = True
                pending.message_event.set()

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


def is_origin_form(url: bytes) -> bool:
    """A target as clients send it to a server: `/path?query`, no fragment."""
    return url[0] == _SLASH and _HASH not in url


def split_origin_form(url: bytes) -> tuple[bytes, str, bytes]:
    """(raw path, path, query) of an origin-form target."""
    raw_path, _, query = url.partition(b"?")
    return raw_path, _decoded(raw_path), query


def _decoded(raw_path: bytes) -> str:
    path = raw_path.decode("ascii")
    return urllib.parse.unquote(path) if "%" in path else path


def _parse_target(url: bytes) -> tuple[bytes, bytes]:
    """(path, query) of a target in absolute or asterisk form, or with a fragment."""
    try:
        parsed = httptools.parse_url(url)
    except httptools.HttpParserInvalidURLError:
        raise not_http_error() from None
    return parsed.path or b"", parsed.query or b""
