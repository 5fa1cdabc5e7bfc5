"""The mock's direct HTTP path (`mock/_protocol.py`) on a real server: what uvicorn's ASGI
cycle did, it still does (order, keep-alive, close, HEAD, 100-continue, faults, counts).

Raw HTTP/1.1 over a socket, so that pipelining and the exact bytes on the wire show.
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

from authload.mock import MockConfig, create_mock_app
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
    with served(CONFIG) as address:
        yield address


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


def _raw(
    address: tuple[str, int], data: bytes, count: int = 1
) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(data)
        return _read_replies(sock, count)


def _error_code(reply: tuple[int, dict[bytes, bytes], bytes]) -> str:
    return str(json.loads(reply[2])["error"]["code"])


def test_header_names_are_read_in_any_case_values_without_surrounding_blanks(
    address: tuple[str, int],
) -> None:
    users = wire.rest_path(wire.USERS)
    head = f"GET {users} HTTP/1.1\r\nhost: 127.0.0.1\r\nAPPID:  {CONFIG.app_id} \t\r\n"
    head += f"apikey: {CONFIG.rest_api_key}  \r\n\r\n"
    ((status, _, _),) = _raw(address, head.encode())
    assert status == 200


def test_a_repeated_header_keeps_its_last_value(address: tuple[str, int]) -> None:
    users = wire.rest_path(wire.USERS)
    keys = f"{wire.H_API_KEY}: {CONFIG.rest_api_key}\r\n"
    right_last = f"GET {users} HTTP/1.1\r\nHost: x\r\n{keys}appId: other\r\nappId: {CONFIG.app_id}\r\n\r\n"
    wrong_last = f"GET {users} HTTP/1.1\r\nHost: x\r\n{keys}appId: {CONFIG.app_id}\r\nappId: other\r\n\r\n"
    ((status, _, _),) = _raw(address, right_last.encode())
    assert status == 200
    (refused,) = _raw(address, wrong_last.encode())
    assert _error_code(refused) == wire.AUTH_ERR_INVALID_APPID


def test_a_head_that_arrives_a_byte_at_a_time_is_served_and_counted_once(address: tuple[str, int]) -> None:
    before = _stats(address)["routes"].get("unknown", {}).get("requests", 0)
    request = _request("POST", "/v3/trickled", b'{"a": 1}')
    with socket.create_connection(address, timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in request:
            sock.sendall(bytes([byte]))
        ((status, _, body),) = _read_replies(sock, 1)
    assert status == 404 and json.loads(body)["error"]["code"] == wire.ERR_API_NOT_FOUND
    assert _stats(address)["routes"]["unknown"]["requests"] == before + 1


def test_a_chunked_body_is_read_on_the_direct_path(address: tuple[str, int]) -> None:
    body = json.dumps({"uid": "chunked-1", "name": "C"}).encode()
    head = f"POST {wire.rest_path(wire.USERS)} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    chunks = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])
    ((status, _, reply),) = _raw(address, head.encode() + KEYS + b"\r\n" + chunks)
    assert status == 200 and json.loads(reply)["data"]["uid"] == "chunked-1"


def test_http_1_0_absolute_targets_and_fragments_are_served_like_the_rest(address: tuple[str, int]) -> None:
    users = wire.rest_path(wire.USERS)
    old = b"GET %s HTTP/1.0\r\nHost: x\r\n%s\r\n" % (users.encode(), KEYS)
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(old)
        ((status, _, _),) = _read_replies(sock, 1)
        assert status == 200
        assert sock.recv(100) == b""  # HTTP/1.0: not kept alive (newer uvicorns say so in a header too)
    absolute = f"GET http://127.0.0.1{users}?perPage=1 HTTP/1.1\r\nHost: x\r\n".encode() + KEYS + b"\r\n"
    ((status, _, body),) = _raw(address, absolute)
    assert status == 200 and len(json.loads(body)["data"]) == 1
    fragment = f"GET {users}#top HTTP/1.1\r\nHost: x\r\n".encode() + KEYS + b"\r\n"
    ((status, _, _),) = _raw(address, fragment)
    assert status == 200


def test_a_request_pipelined_behind_connection_close_is_neither_answered_nor_counted(
    address: tuple[str, int],
) -> None:
    before = _stats(address)["routes"].get("unknown", {}).get("requests", 0)
    closing = _request("GET", "/v3/closing", extra=b"Connection: close\r\n")
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(closing + _request("GET", "/v3/after-close"))
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 404") == 1
    assert _stats(address)["routes"]["unknown"]["requests"] == before + 1


def _comparable(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    if isinstance(body.get("data"), dict):
        body["data"].pop(wire.F_CREATED_AT, None)
    return response.status_code, body


@pytest.mark.anyio
async def test_the_direct_path_answers_as_the_asgi_path_does() -> None:
    """The same requests, on the mock's own protocol and through its plain ASGI app: same
    statuses, same bodies (but for the clock), same counts."""
    config = MockConfig()
    users, key = (
        wire.rest_path(wire.USERS),
        {wire.H_APP_ID: config.app_id, wire.H_API_KEY: config.rest_api_key},
    )
    cases: list[tuple[str, str, dict[str, str], bytes]] = [
        ("POST", users, key, json.dumps({"uid": "same-1", "name": "S é"}).encode()),
        ("POST", users, key, json.dumps({"uid": "same-1", "name": "S"}).encode()),  # taken
        ("POST", users, key, b"{not json"),
        ("POST", users, key, json.dumps({"uid": "Bad Uid!", "name": ""}).encode()),
        ("GET", wire.rest_path(wire.USER, uid="same-1"), key, b""),
        ("GET", wire.rest_path(wire.USER, uid="nobody"), key, b""),
        ("GET", users + "?perPage=1&page=x", key, b""),
        ("GET", users, {wire.H_APP_ID: config.app_id}, b""),  # no key
        ("GET", users, {**key, wire.H_APP_ID: "other-app"}, b""),
        ("PUT", wire.client_path(wire.ME), {wire.H_APP_ID: config.app_id, wire.H_AUTH_TOKEN: "nope"}, b"{}"),
        ("DELETE", wire.client_path(wire.ME), {wire.H_APP_ID: config.app_id}, b""),
        ("GET", "/v3/none", key, b""),
    ]
    app = create_mock_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as asgi:
        expected = [_comparable(await asgi.request(m, p, headers=h, content=b)) for m, p, h, b in cases]
        expected_counts = (await asgi.get("/_mock/stats")).json()["routes"]
    with (
        served(config) as (host, port),
        httpx.Client(base_url=f"http://{host}:{port}", trust_env=False) as http,
    ):
        assert [_comparable(http.request(m, p, headers=h, content=b)) for m, p, h, b in cases] == expected
        assert http.get("/_mock/stats").json()["routes"] == expected_counts


def test_a_failure_after_a_wait_is_answered_as_the_pipeline_answers_one(
    address: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mock bug after a latency fault's wait (outside the handler's own guard): the request
    # still gets the pipeline's 500 envelope, and the connection serves the next request.
    from authload.mock._http import HttpPipeline

    def broken(*_: Any) -> None:
        raise RuntimeError("a mock bug")

    monkeypatch.setattr(HttpPipeline, "_finish", broken)
    users = wire.rest_path(wire.USERS)
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(_request("GET", users))  # users.list waits 150 ms: its rest is a task
        ((status, _, body),) = _read_replies(sock, 1)
        monkeypatch.undo()
        sock.sendall(_request("GET", users))
        ((after, _, _),) = _read_replies(sock, 1)
    error = json.loads(body)["error"]
    assert status == 500 and error["code"] == wire.ERR_OPERATION_FAILED
    assert error["message"] == wire.INFERRED_ERROR_MESSAGES[wire.ERR_OPERATION_FAILED]  # (the pipeline's)
    assert after == 200
