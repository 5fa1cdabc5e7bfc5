"""Connection limits on a real server (127.0.0.1, port 0): size, time, and the envelope they answer with.

The mock's limits are short here (0.5 s to send a request) so that timeouts take
a moment; each test speaks raw HTTP/1.1 over a socket, as an abusive client would.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mock_helpers import served
from websockets.sync.client import connect

from authload.mock import MockConfig
from authload.protocol import wire

TIMEOUT = 0.5
CONFIG = MockConfig(request_timeout_seconds=TIMEOUT, max_body_bytes=1000)
KEYS = f"{wire.H_APP_ID}: {CONFIG.app_id}\r\n{wire.H_API_KEY}: {CONFIG.rest_api_key}\r\n"
USERS = wire.rest_path(wire.USERS)


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    with served(CONFIG) as address:
        yield address


def _exchange(address: tuple[str, int], *parts: bytes) -> tuple[bytes, float]:
    """Send `parts`, then read until the server closes; the bytes and the seconds it took."""
    start = time.monotonic()
    with socket.create_connection(address, timeout=5) as sock:
        for part in parts:
            sock.sendall(part)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received, time.monotonic() - start


def _envelope(reply: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower() and b"connection: close" in head.lower()
    error = json.loads(body)["error"]
    assert error["code"] == wire.ERR_BAD_REQUEST and error["source"] == "chat-api"
    return int(head.split()[1]), error["details"]


def _stats(address: tuple[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(
        f"http://{address[0]}:{address[1]}/_mock/stats", trust_env=False
    ).json()
    return result


def test_a_100_kb_url_is_414_in_the_envelope(address: tuple[str, int]) -> None:
    path = USERS + "?x=" + "a" * 100_000
    reply, _ = _exchange(address, f"GET {path} HTTP/1.1\r\nHost: x\r\n{KEYS}\r\n".encode())
    status, details = _envelope(reply)
    assert status == 414 and details == {
        "url": [f"The url may not be greater than {CONFIG.max_url_bytes} bytes."]
    }


@pytest.mark.parametrize("finished", [True, False])
def test_an_overlong_header_is_431_in_the_envelope(address: tuple[str, int], finished: bool) -> None:
    request = f"GET {USERS} HTTP/1.1\r\nHost: x\r\n{KEYS}X-Big: {'b' * 40_000}\r\n"
    reply, took = _exchange(address, (request + "\r\n" if finished else request).encode())
    status, details = _envelope(reply)
    assert status == 431 and "headers" in details
    assert took < TIMEOUT  # at once, even while the head is unfinished


def test_a_half_sent_head_is_answered_408_and_closed_after_the_timeout(address: tuple[str, int]) -> None:
    reply, took = _exchange(address, f"GET {USERS} HTTP/1.1\r\nHost: x\r\n".encode())  # no blank line
    status, details = _envelope(reply)
    assert status == 408 and "0.5 seconds" in details["request"][0]
    assert TIMEOUT * 0.9 <= took < TIMEOUT + 2


def test_a_half_sent_body_is_408_and_not_counted(address: tuple[str, int]) -> None:
    before = _stats(address)["totals"]["requests"]
    head = f"POST {USERS} HTTP/1.1\r\nHost: x\r\n{KEYS}Content-Length: 100\r\n\r\n"
    reply, took = _exchange(address, head.encode(), b'{"uid": ')
    assert _envelope(reply)[0] == 408 and took >= TIMEOUT * 0.9
    assert _stats(address)["totals"]["requests"] == before


def test_a_silent_connection_is_closed_without_a_reply(address: tuple[str, int]) -> None:
    reply, took = _exchange(address)
    assert reply == b"" and TIMEOUT * 0.9 <= took < TIMEOUT + 2


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_limit_is_413_in_the_envelope(address: tuple[str, int], chunked: bool) -> None:
    body = json.dumps({"uid": "big", "name": "n" * 2000}).encode()
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = f"POST {USERS} HTTP/1.1\r\nHost: x\r\n{KEYS}{framing}\r\n\r\n".encode()
    payload = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if chunked else body
    reply, took = _exchange(address, head + payload)
    status, details = _envelope(reply)
    assert status == 413 and details == {"body": ["The body may not be greater than 1000 bytes."]}
    assert took < TIMEOUT  # refused at once, not after a timeout


def test_not_http_is_400_in_the_envelope(address: tuple[str, int]) -> None:
    status, details = _envelope(_exchange(address, b"\x16\x03\x01 hello\r\n\r\n")[0])
    assert status == 400 and "request" in details


def test_requests_within_the_limits_and_keep_alive_still_work(address: tuple[str, int]) -> None:
    headers = {wire.H_APP_ID: CONFIG.app_id, wire.H_API_KEY: CONFIG.rest_api_key}
    with httpx.Client(
        base_url=f"http://{address[0]}:{address[1]}", headers=headers, timeout=5, trust_env=False
    ) as http:
        assert (
            http.post(USERS, json={"uid": "fits", "name": "n", "metadata": {"x": "y" * 500}}).status_code
            == 200
        )
        assert http.get(USERS + "?perPage=2&x=" + "a" * 4000).status_code == 200


def test_a_websocket_outlives_the_request_timeout(address: tuple[str, int]) -> None:
    with connect(f"ws://{address[0]}:{address[1]}", open_timeout=5) as ws:
        time.sleep(TIMEOUT * 2)  # the point of the test: a time span longer than the timeout
        ws.send(json.dumps({"action": "ping", "ack": "true"}))
        assert json.loads(ws.recv(timeout=5)) == {"action": "pong"}
