"""The mock's direct HTTP path (`mock/_protocol.py`) on a real server: what uvicorn's ASGI
cycle did, it still does (order, keep-alive, close, HEAD, 100-continue, faults, counts).

Raw HTTP/1.1 over a socket, so that pipelining and the exact bytes on the wire show.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from authload.mock import MockConfig, serve
from authload.protocol import wire

CONFIG = MockConfig.model_validate(
    {
        "faults": [
            # GET /v3/users waits 150 ms (a task); the requests pipelined behind it wait their turn
            {"kind": "latency", "route": "users.list", "ms": 150},
            {"kind": "reset", "route": "users.get"},
        ]
    }
)
KEYS = f"{wire.H_APP_ID}: {CONFIG.app_id}\r\n{wire.H_API_KEY}: {CONFIG.rest_api_key}\r\n".encode()


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    ready: list[str] = []
    started, stop = threading.Event(), threading.Event()

    def on_ready(url: str) -> None:
        ready.append(url)
        started.set()

    thread = threading.Thread(target=serve, args=(CONFIG, "127.0.0.1", 0, on_ready), kwargs={"stop": stop})
    thread.start()
    assert started.wait(10), "the mock did not start"
    host, port = ready[0].removeprefix("http://").split(":")
    yield host, int(port)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


def _request(method: str, path: str, body: bytes = b"", extra: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n".encode()
    return head + KEYS + extra + b"\r\n" + body


def _read_replies(sock: socket.socket, count: int) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    """`count` replies read to their Content-Length: (status, headers, body)."""
    buffer, replies = b"", []
    while len(replies) < count:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            lines = buffer[:end].split(b"\r\n")
            headers = dict(line.lower().split(b": ", 1) for line in lines[1:])
            total = end + 4 + int(headers[b"content-length"])
            if len(buffer) >= total:
                replies.append((int(lines[0].split()[1]), headers, buffer[end + 4 : total]))
                buffer = buffer[total:]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"closed after {len(replies)} replies"
        buffer += chunk
    return replies


def _stats(address: tuple[str, int]) -> dict[str, Any]:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"GET /_mock/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        ((status, _, body),) = _read_replies(sock, 1)
    assert status == 200
    result: dict[str, Any] = json.loads(body)
    return result


def test_pipelined_requests_are_answered_in_order_behind_one_that_waits(address: tuple[str, int]) -> None:
    users = wire.rest_path(wire.USERS)
    uid = "pipelined-1"
    create = _request("POST", users, json.dumps({"uid": uid, "name": "P"}).encode())
    burst = create + _request("GET", users) + _request("GET", "/v3/nope") + _request("GET", "/_mock/stats")
    with socket.create_connection(address, timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(burst)  # one write: four requests, the second one delayed
        replies = _read_replies(sock, 4)
        elapsed = time.monotonic() - started
    assert [status for status, _, _ in replies] == [200, 200, 404, 200]
    assert json.loads(replies[0][2])["data"]["uid"] == uid
    assert any(user["uid"] == uid for user in json.loads(replies[1][2])["data"])
    assert json.loads(replies[2][2])["error"]["code"] == wire.ERR_API_NOT_FOUND
    assert "routes" in json.loads(replies[3][2])  # the admin route, through uvicorn's cycle, in order
    assert elapsed >= 0.15


def test_the_reply_bytes_are_exactly_the_asgi_path_s(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(_request("GET", "/v3/nope"))
        reply = sock.recv(65536)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"HTTP/1.1 404 Not Found",
        b"content-type: application/json",
        b"content-length: %d" % len(body),
    ]


def test_connection_close_is_answered_then_closed(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(_request("GET", "/v3/nope", extra=b"Connection: close\r\n"))
        ((status, headers, _),) = _read_replies(sock, 1)
        assert status == 404 and headers[b"connection"] == b"close"
        assert sock.recv(100) == b""  # the server closed its side


def test_head_and_expect_continue_keep_uvicorn_s_path(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(_request("HEAD", "/v3/nope"))
        head = sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 404") and head.endswith(b"\r\n\r\n")  # no body after HEAD
        body = json.dumps({"uid": "continued-1", "name": "C"}).encode()
        head = _request("POST", wire.rest_path(wire.USERS), body, extra=b"Expect: 100-continue\r\n")
        sock.sendall(head[: -len(body)])  # the head only: the body follows the 100
        assert sock.recv(65536).startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        ((status, _, reply),) = _read_replies(sock, 1)
    assert status == 200 and json.loads(reply)["data"]["uid"] == "continued-1"


def test_a_reset_fault_is_an_rst_and_is_counted(address: tuple[str, int]) -> None:
    before = _stats(address)["routes"].get("users.get", {}).get("faults", {}).get("reset", 0)
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(_request("GET", wire.rest_path(wire.USER, uid="cometchat-uid-1")))
        with pytest.raises(ConnectionResetError):
            sock.recv(65536)
    assert _stats(address)["routes"]["users.get"]["faults"]["reset"] == before + 1


def test_every_request_on_the_direct_path_is_counted_once(address: tuple[str, int]) -> None:
    before = _stats(address)["routes"].get("unknown", {}).get("requests", 0)
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(_request("GET", "/v3/none") * 50)
        assert len(_read_replies(sock, 50)) == 50
    assert _stats(address)["routes"]["unknown"]["requests"] == before + 50
