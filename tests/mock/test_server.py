"""A real server on 127.0.0.1, port 0: what only sockets show (reset, slow body, WebSocket, latency).

One server per module, run by `serve()` in a thread and stopped through its `stop` event.
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

CONFIG = MockConfig.model_validate(
    {
        "faults": [
            {"kind": "reset", "route": "users.get", "path": "*/reset-me"},
            {"kind": "slow_body", "route": "users.list", "chunk_bytes": 200, "chunk_delay_ms": 40},
        ]
    }
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with served(CONFIG) as (host, port):
        yield f"http://{host}:{port}"


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    headers = {wire.H_APP_ID: CONFIG.app_id, wire.H_API_KEY: CONFIG.rest_api_key}
    with httpx.Client(base_url=base_url, headers=headers, trust_env=False, timeout=5) as client:
        client.post("/_mock/reset")
        yield client


def _stats(http: httpx.Client) -> dict[str, Any]:
    result: dict[str, Any] = http.get("/_mock/stats").json()
    return result


def test_port_zero_reports_the_bound_port(base_url: str) -> None:
    assert base_url.startswith("http://127.0.0.1:") and not base_url.endswith(":0")


def test_reset_drops_the_connection_without_a_reply(base_url: str, http: httpx.Client) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    path = wire.rest_path(wire.USER, uid="reset-me")
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\napiKey: {CONFIG.rest_api_key}\r\n\r\n".replace(
        "apiKey", wire.H_API_KEY
    )
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode())
        with pytest.raises(ConnectionResetError):
            data = sock.recv(1024)
            assert data == b"", data  # a FIN instead of an RST would land here
            raise AssertionError("connection closed without RST")
    with pytest.raises(httpx.TransportError):
        http.get(path)
    route = _stats(http)["routes"]["users.get"]
    assert route == {"requests": 2, "status": {}, "codes": {}, "faults": {"reset": 2}}
    assert http.get(wire.rest_path(wire.USER, uid="cometchat-uid-1")).status_code == 200


def test_slow_body_sends_headers_then_trickles(http: httpx.Client) -> None:
    start = time.perf_counter()
    with http.stream("GET", wire.rest_path(wire.USERS)) as reply:
        headers_after = time.perf_counter() - start
        body = reply.read()
    total = time.perf_counter() - start
    chunks = -(-len(body) // 200)
    assert reply.status_code == 200 and len(json.loads(body)["data"]) == 5
    assert headers_after < 0.04 and total >= (chunks - 1) * 0.04 * 0.9
    assert _stats(http)["routes"]["users.list"]["faults"] == {"slow_body": 1}


def test_keep_alive_replies_are_not_delayed_by_nagle(http: httpx.Client) -> None:
    # A listening socket made without IPPROTO_TCP gets no TCP_NODELAY from asyncio: ~40 ms each.
    path = wire.rest_path(wire.USER, uid="cometchat-uid-1")
    http.get(path)
    start = time.perf_counter()
    for _ in range(20):
        http.get(path)
    assert (time.perf_counter() - start) / 20 < 0.02


def test_sdk_login_then_websocket_on_the_settings_port(http: httpx.Client) -> None:
    minted = http.post(wire.client_path(wire.AUTH_TOKENS, uid="cometchat-uid-1"), json={})
    value = minted.json()["data"][wire.F_AUTH_TOKEN]
    login = http.put(wire.client_path(wire.ME), json={}, headers={wire.H_AUTH_TOKEN: value}).json()["data"]
    settings = login["settings"]
    url = f"ws://{settings['CHAT_HOST']}:{settings['CHAT_WSS_PORT']}"
    with connect(url, open_timeout=5) as ws:
        ws.send(json.dumps({"type": "auth", "appId": CONFIG.app_id, "body": {"auth": login["jwt"]}}))
        assert json.loads(ws.recv(timeout=5))["body"] == wire.WS_AUTH_OK
        ws.send(json.dumps({"action": "ping", "ack": "true"}))
        assert json.loads(ws.recv(timeout=5)) == {"action": "pong"}
    assert _stats(http)["websocket"]["auth_ok"] == 1
