"""A blocking WebSocket client for the real-time socket: wsproto's sans-I/O frames over a socket.

wsproto builds and parses frames with no I/O (the h11 way, as the protocol
core does for HTTP); the socket underneath is the standard library's, which
is cooperative under gevent's monkey patching (Locust processes), so one
greenlet per open connection waits in `recv` without blocking the others.
The same class serves `ChatSession` in plain threads. Chosen on measurements
(see `bench/bench_realtime_memory.py` and docs/architecture.md).

Failures are `RealtimeError` with a cause: `refused` (connect refused, or the
upgrade answered with anything but 101), `timeout`, `reset` (closed or broken
before the server's answer), `auth_rejected` (the auth reply said no), `tls` (the
certificate did not verify: wss is always verified unless the environment says not to).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from ..common._errors import RealtimeError
from ..common._tls import client_context
from ..protocol._realtime import PING_FRAME, RealtimePlan, RealtimeUrl, read_auth_reply
from ..protocol._wire import WS_CLOSE_LOGOUT

_READ = 16_384


@contextmanager
def _classified(during: str) -> Iterator[None]:
    """Socket errors as `RealtimeError`s with their cause."""
    try:
        yield
    except RealtimeError:
        raise
    except ssl.SSLError as error:  # before OSError: it is one
        raise RealtimeError(f"TLS {during}: {error.reason or type(error).__name__}", cause="tls") from None
    except TimeoutError:  # socket.timeout is TimeoutError
        raise RealtimeError(f"timeout {during}", cause="timeout") from None
    except ConnectionRefusedError:
        raise RealtimeError(f"refused {during}", cause="refused") from None
    except OSError as error:
        raise RealtimeError(f"{type(error).__name__} {during}", cause="reset") from None


class RealtimeSocket:
    """One open, authenticated real-time connection."""

    def __init__(self, url: RealtimeUrl, timeout: float, context: ssl.SSLContext | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.context = context  # wss: verifying (default: the process's, see `authload.common._tls`)
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._sock: socket.socket | None = None
        self._pending: list[str] = []

    def open(self, auth_frame: str) -> None:
        """Connect, upgrade, send the auth frame, wait for the server's success."""
        with _classified("connecting"):
            sock = socket.create_connection((self.url.host, self.url.port), timeout=self.timeout)
            if self.url.secure:
                context = self.context or client_context()
                sock = context.wrap_socket(sock, server_hostname=self.url.host)
            self._sock = sock
            host = f"{self.url.host}:{self.url.port}"
            self._sock.sendall(self._ws.send(Request(host=host, target="/")))
            self._handshake()
        with _classified("waiting for the auth reply"):
            self.send_text(auth_frame)
            read_auth_reply(self.receive_text())

    def _handshake(self) -> None:
        while True:
            for event in self._events():
                if isinstance(event, AcceptConnection):
                    return
                if isinstance(event, RejectConnection | RejectData):
                    raise RealtimeError("upgrade refused", cause="refused")

    def _events(self) -> Iterator[object]:
        assert self._sock is not None
        yield from self._ws.events()  # what an earlier read buffered comes first
        data = self._sock.recv(_READ)
        if not data:
            raise RealtimeError("closed by the server", cause="reset")
        self._ws.receive_data(data)
        yield from self._ws.events()

    def send_text(self, text: str) -> None:
        assert self._sock is not None
        self._sock.sendall(self._ws.send(Message(data=text)))

    def receive_text(self, timeout: float | None = None) -> str:
        """The next text frame; answers the server's pings on the way. A close is `reset`."""
        assert self._sock is not None
        self._sock.settimeout(self.timeout if timeout is None else timeout)
        parts: list[str] = []
        while True:
            for event in self._events():
                if isinstance(event, Ping):
                    self._sock.sendall(self._ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    raise RealtimeError("closed by the server", cause="reset")
                elif isinstance(event, TextMessage | BytesMessage):
                    data = event.data
                    parts.append(data if isinstance(data, str) else bytes(data).decode("utf-8", "replace"))
                    if event.message_finished:
                        return "".join(parts)

    def keep_alive(self, every: float) -> None:
        """Serve the connection until it breaks: answer pings, send the SDK's ping when idle.
        Meant for its own greenlet or thread; ends by raising `RealtimeError`."""
        while True:
            try:
                with _classified("keeping alive"):
                    self.receive_text(timeout=every)  # pongs and pushes: nothing to do with them
            except RealtimeError as error:
                if error.cause != "timeout":
                    raise
                with _classified("pinging"):
                    self.send_text(PING_FRAME)

    def close(self, code: int = WS_CLOSE_LOGOUT[0], reason: str = WS_CLOSE_LOGOUT[1]) -> None:
        """Close as the SDK's `logout()` does: code 1000, "User logged out"."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.sendall(self._ws.send(CloseConnection(code=code, reason=reason)))
        except Exception:  # already broken: nothing to tell the server
            pass
        finally:
            sock.close()


def open_realtime(
    plan: RealtimePlan, timeout: float, context: ssl.SSLContext | None = None
) -> RealtimeSocket:
    """Connect and authenticate as `plan` says; the socket is closed again if that fails."""
    connection = RealtimeSocket(plan.url, timeout, context)
    try:
        connection.open(plan.auth_frame)
    except BaseException:
        connection.close()
        raise
    return connection
