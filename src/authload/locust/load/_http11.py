"""A lean HTTP/1.1 client on gevent sockets: the load path's transport.

geventhttpclient (Locust's FastHttpUser stack) was most of a load process's CPU: a header
object per request and per answer, a parser callback per header. This client writes each
request in one `sendall` (the head built in one string, the body after it) and reads the
answer into bytes: the status line and headers split at once (`bytes.split`, in C), the
body by Content-Length (or chunked, or to the close). Nothing else: no cookies, no
redirects (CometChat's API sends none: a 3xx is the protocol's to judge), no proxies.

What the load path needs of a transport, kept:

- kept connections per origin (`scheme://host:port`) and driver, as many as the driver's
  concurrency (a virtual user's driver: one; provisioning's: its concurrency), the last used
  first; each connection opened is counted, reconnects included;
- a kept connection is checked with poll(2) before reuse (`alive`): anything to read (a FIN,
  stray bytes) or an error, and it is closed instead;
- an idempotent request (GET, HEAD, PUT, DELETE, OPTIONS) whose *reused* connection closes
  before any byte of an answer is sent once more on a new connection, as browsers and
  geventhttpclient do: a server closing an idle connection is not a failure. POSTs never are;
- TLS through the process's verifying context, with SNI (`common._tls`);
- every wait (connect, send, each read) bounded by the timeout;
- answers read up to `MAX_BODY_BYTES`: a longer one closes its connection unread.

Failures are the standard ones (`TimeoutError`, `ConnectionRefusedError`, `ssl.SSLError`,
`ConnectionError`), plus `ConnectionClosedError` and `BadAnswerError` (both `ConnectionError`s), so
`common._transport` classifies them as it classifies any other driver's.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gevent import monkey

from ...common._transport import MAX_BODY_BYTES

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
MAX_HEAD_BYTES = 64 * 1024  # an answer's status line and headers; more is not an HTTP server
_READ = 64 * 1024
# What FastHttpSession sends with every request; kept so the wire does not change.
ACCEPT_ENCODING = "gzip, deflate, br"


class ConnectionClosedError(ConnectionError):
    """The server closed the connection before the answer was complete."""


class BadAnswerError(ConnectionError):
    """What came back is not an HTTP/1.x answer."""


class BodyTooLargeError(Exception):
    """The answer's body is longer than `MAX_BODY_BYTES` (its connection was closed unread)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Headers(dict[str, str]):
    """An answer's headers, by lower-case name (a repeated one joined with ", "); looked up in
    any case."""

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self, key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


@dataclass(slots=True)
class Answer:
    status: int
    headers: Headers
    body: bytes


_poll = monkey.get_original("select", "poll")  # the real poll(2), not gevent's cooperative one


def alive(sock: Any) -> bool:
    """Whether an idle kept connection may be reused: nothing to read, no error (poll(2), which
    takes any descriptor; select(2) fails above 1023 and a process holds 10,000)."""
    try:
        descriptor = sock.fileno()
        if descriptor < 0:
            return False
        poller = _poll()
        poller.register(descriptor, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class Connection:
    """One socket and what was read past the last answer."""

    __slots__ = ("rest", "sock")

    def __init__(self, sock: Any) -> None:
        self.sock, self.rest = sock, b""

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Origin:
    """One `scheme://host:port`: how to reach it, and its kept connections."""

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int,
        context: ssl.SSLContext | None,
        timeout: float,
        opened: Callable[[], None],
        keep: int = 1,
    ) -> None:
        self.address, self.timeout, self.opened, self.keep = (host, port), timeout, opened, keep
        self.context = context if scheme == "https" else None
        default = 443 if scheme == "https" else 80
        host_name = f"[{host}]" if ":" in host else host
        self.host_header = host_name if port == default else f"{host_name}:{port}"
        self.idle: list[Connection] = []  # kept connections, the last used first (at most `keep`)

    def connect(self) -> Connection:
        sock = socket.create_connection(self.address, timeout=self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_hostname=self.address[0])
        except BaseException:
            sock.close()
            raise
        self.opened()
        return Connection(sock)

    def take(self) -> tuple[Connection, bool]:
        """A connection for one request, and whether it is a kept one."""
        while self.idle:
            kept = self.idle.pop()
            if alive(kept.sock):
                return kept, True
            kept.close()
        return self.connect(), False

    def give_back(self, connection: Connection) -> None:
        if len(self.idle) < self.keep:
            self.idle.append(connection)
        else:
            connection.close()

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle = []


def encode_head(
    method: str, target: str, host_header: str, headers: Mapping[str, str], length: int | None
) -> bytes:
    """The request line and headers, in one piece (the protocol checked names and values)."""
    parts = [method, " ", target, " HTTP/1.1\r\nHost: ", host_header, "\r\n"]
    for name, value in headers.items():
        parts += (name, ": ", value, "\r\n")
    parts.append("Accept-Encoding: " + ACCEPT_ENCODING + "\r\n")
    if length is not None:
        parts.append(f"Content-Length: {length}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode("latin-1")


def request(
    origin: Origin, method: str, target: str, headers: Mapping[str, str], body: bytes | None
) -> Answer:
    """Send one request and read its answer; the connection is kept when the answer allows."""
    length = len(body) if body is not None else (0 if method in ("POST", "PUT", "PATCH") else None)
    data = encode_head(method, target, origin.host_header, headers, length)
    if body:
        data += body
    connection, kept = origin.take()
    try:
        answer, keep = _exchange(connection, data, method)
    except (ConnectionClosedError, ConnectionResetError, BrokenPipeError) as error:
        connection.close()
        if not (kept and method in IDEMPOTENT and getattr(error, "before_answer", True)):
            raise
        connection = origin.connect()  # the kept connection was closed under us: once more
        try:
            answer, keep = _exchange(connection, data, method)
        except BaseException:
            connection.close()
            raise
    except BaseException:
        connection.close()
        raise
    if keep:
        origin.give_back(connection)
    else:
        connection.close()
    return answer


def _exchange(connection: Connection, data: bytes, method: str) -> tuple[Answer, bool]:
    connection.sock.sendall(data)
    return _read(connection, method)


def _recv(connection: Connection, started: bool) -> bytes:
    chunk: bytes = connection.sock.recv(_READ)
    if not chunk:
        closed = ConnectionClosedError("the server closed the connection")
        closed.before_answer = not started  # type: ignore[attr-defined]
        raise closed
    return chunk


def _read(connection: Connection, method: str) -> tuple[Answer, bool]:
    """One answer from the connection: (answer, whether the connection can be kept)."""
    status, found, data = _head(connection)
    keep = found.pop(_KEEP) == "1"
    headers = Headers(found)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        connection.rest = data
        return Answer(status, headers, b""), keep
    if "chunked" in found.get("transfer-encoding", "").lower():
        body, connection.rest = _chunked(connection, data, status)
        return Answer(status, headers, body), keep
    declared = found.get("content-length")
    if declared is None:  # to the end of the connection
        return Answer(status, headers, _to_close(connection, data, status)), False
    if not declared.isdigit():
        raise BadAnswerError("a Content-Length that is not a number")
    size = int(declared)
    if size > MAX_BODY_BYTES:
        raise BodyTooLargeError(status)
    while len(data) < size:
        data += _recv(connection, True)
    connection.rest = data[size:]
    return Answer(status, headers, data[:size]), keep


_KEEP = "\x00keep"  # `_head`'s word on keeping the connection, not a header


def _head(connection: Connection) -> tuple[int, dict[str, str], bytes]:
    """The status, the headers by lower-case name (and `_KEEP`), and the bytes after them."""
    data = connection.rest
    end = data.find(b"\r\n\r\n")
    while end < 0:
        data += _recv(connection, bool(data))
        if len(data) > MAX_HEAD_BYTES:
            raise BadAnswerError("an answer's head over 64 KiB")
        end = data.find(b"\r\n\r\n")
    lines = data[:end].split(b"\r\n")
    status_line = lines[0]
    if not status_line.startswith(b"HTTP/1.") or len(status_line) < 12 or not status_line[9:12].isdigit():
        raise BadAnswerError("not an HTTP/1.x status line")
    found: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            raise BadAnswerError("a header line without a colon")
        key, text = name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")
        found[key] = f"{found[key]}, {text}" if key in found else text
    keep = status_line.startswith(b"HTTP/1.1") and "close" not in found.get("connection", "").lower()
    found[_KEEP] = "1" if keep else ""
    return int(status_line[9:12]), found, data[end + 4 :]


def _to_close(connection: Connection, data: bytes, status: int) -> bytes:
    """A body without a length: everything up to the server's close (capped)."""
    while True:
        if len(data) > MAX_BODY_BYTES:
            raise BodyTooLargeError(status)
        try:
            data += _recv(connection, True)
        except ConnectionClosedError:
            return data


def _chunked(connection: Connection, data: bytes, status: int) -> tuple[bytes, bytes]:
    """A chunked body (up to the cap) and what follows it."""
    parts: list[bytes] = []
    size_so_far = 0
    while True:
        end = data.find(b"\r\n")
        while end < 0:
            data += _recv(connection, True)
            end = data.find(b"\r\n")
        size_text = data[:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadAnswerError("a chunk size that is not hexadecimal") from None
        data = data[end + 2 :]
        if size == 0:
            while True:  # trailers, then the empty line
                end = data.find(b"\r\n")
                while end < 0:
                    data += _recv(connection, True)
                    end = data.find(b"\r\n")
                line, data = data[:end], data[end + 2 :]
                if not line:
                    return b"".join(parts), data
        size_so_far += size
        if size_so_far > MAX_BODY_BYTES:
            raise BodyTooLargeError(status)
        while len(data) < size + 2:
            data += _recv(connection, True)
        parts.append(data[:size])
        data = data[size + 2 :]


__all__ = [
    "Answer",
    "BadAnswerError",
    "ConnectionClosedError",
    "Headers",
    "Origin",
    "BodyTooLargeError",
    "alive",
    "request",
]
