"""The ceiling for bench_flow_overhead: the 12-request sign-up flow over raw gevent sockets.

What Python on one core can send at most: USERS greenlets, each one kept connection, each
request pre-encoded but for its uid or token, each answer read to its Content-Length and only
the minted token decoded (json). No statistics, no events, no checks: nothing a load tool
needs beyond the bytes. authload's fraction of this is the share of a core it keeps for
itself. Runs until SECONDS pass (bench_flow_overhead measures it like any other side).

    python3 bench/raw_socket_ceiling.py BASE_URL USERS SECONDS
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402

_APP, _KEY = os.environ["BENCH_APP_ID"], os.environ["BENCH_API_KEY"]
_COMMON = (
    f"Accept: application/json\r\nContent-Type: application/json\r\nappId: {_APP}\r\nsdk: authload@0.1\r\n"
)
_DEVICE = b'{"platform":"WEB","appInfo":{"version":"authload","apiVersion":"v3.0"}}'
_next = itertools.count()


def _read(sock: socket.socket, rest: bytes) -> tuple[bytes, bytes]:
    """One answer's body (by Content-Length) and what came after it."""
    data = rest
    while (end := data.find(b"\r\n\r\n")) < 0:
        data += sock.recv(65536)
    head = data[:end].lower()
    start = head.index(b"content-length:") + 15
    size = int(head[start : head.index(b"\r\n", start) if b"\r\n" in head[start:] else None])
    data = data[end + 4 :]
    while len(data) < size:
        data += sock.recv(65536)
    return data[:size], data[size:]


def user(host: str, port: int, stop_at: float) -> None:
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    prefix = f"Host: {host}:{port}\r\n{_COMMON}"
    rest = b""
    while time.monotonic() < stop_at:
        uid = f"ceiling-{os.getpid()}-{next(_next)}"
        body = b'{"uid":"%s","name":"Load %s"}' % (uid.encode(), uid.encode())
        head = f"POST /v3/users HTTP/1.1\r\n{prefix}apiKey: {_KEY}\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        _, rest = _read(sock, rest)
        mint = f"POST /v3/users/{uid}/auth_tokens HTTP/1.1\r\n{prefix}apiKey: {_KEY}\r\n"
        sock.sendall(mint.encode() + b'Content-Length: 14\r\n\r\n{"force":true}')
        minted, rest = _read(sock, rest)
        token = json.loads(minted)["data"]["authToken"]
        login = (
            f"PUT /v3.0/me HTTP/1.1\r\n{prefix}authToken: {token}\r\nContent-Length: {len(_DEVICE)}\r\n\r\n"
        )
        logout = f"DELETE /v3.0/me HTTP/1.1\r\n{prefix}authToken: {token}\r\n\r\n".encode()
        login_bytes = login.encode() + _DEVICE
        for _ in range(5):
            sock.sendall(login_bytes)
            _, rest = _read(sock, rest)
            sock.sendall(logout)
            _, rest = _read(sock, rest)


def main() -> None:
    base, users, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    parts = urlsplit(base)
    stop_at = time.monotonic() + seconds
    gevent.joinall(
        [gevent.spawn(user, parts.hostname or "127.0.0.1", parts.port or 80, stop_at) for _ in range(users)]
    )


if __name__ == "__main__":
    main()
