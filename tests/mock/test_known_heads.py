"""Known heads (`mock/_protocol.py`): a request alone in one read, with a head the protocol has
read before, is served without parsing, and answered exactly as the parser's path answers it.
In-process, on the protocol itself, with a transport that records what is written."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from authload.mock import MockConfig
from authload.mock._app import create_mock_app
from authload.mock._limits import Limits
from authload.mock._protocol import protocol_class
from authload.protocol import wire

CONFIG = MockConfig()


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 80)}.get(name, default)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


@pytest.fixture
def connection() -> Iterator[tuple[Any, _Transport, Any]]:
    loop = asyncio.new_event_loop()
    app = create_mock_app(CONFIG)
    cls: Any = protocol_class(Limits.of(CONFIG), app.api, app.asgi_prefixes)
    config = uvicorn.Config(app, http=cls, log_level="warning", lifespan="off")
    protocol = cls(config, ServerState(), {}, loop)
    transport = _Transport()
    protocol.connection_made(transport)
    yield protocol, transport, app
    protocol.connection_lost(None)
    loop.close()


def _request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _replies(transport: _Transport) -> list[tuple[int, dict[str, Any]]]:
    replies = []
    for reply in transport.written:
        head, _, body = reply.partition(b"\r\n\r\n")
        replies.append((int(head.split()[1]), json.loads(body)))
    transport.written.clear()
    return replies


def test_a_head_seen_before_is_served_without_parsing_and_answered_the_same(
    connection: tuple[Any, _Transport, Any],
) -> None:
    protocol, transport, app = connection
    key = {wire.H_APP_ID: CONFIG.app_id, wire.H_API_KEY: CONFIG.rest_api_key}
    users = wire.rest_path(wire.USERS)
    protocol.data_received(_request("POST", users, key, b'{"uid":"known-1","name":"K"}'))
    ((status, created),) = _replies(transport)
    assert status == 200 and created["data"]["uid"] == "known-1"
    mint = _request("POST", wire.rest_path(wire.AUTH_TOKENS, uid="known-1"), key, b"{}")
    protocol.data_received(mint)
    token = _replies(transport)[0][1]["data"][wire.F_AUTH_TOKEN]
    login = _request(
        "PUT", wire.client_path(wire.ME), {wire.H_APP_ID: CONFIG.app_id, wire.H_AUTH_TOKEN: token}, b"{}"
    )
    head = login[: login.index(b"\r\n\r\n") + 4]
    assert head not in protocol._known
    protocol.data_received(login)  # parsed: its head is remembered
    assert head in protocol._known
    feeds = []
    protocol._feed = lambda data: feeds.append(data)  # (the parser is not to be used now)
    protocol.data_received(login)  # known: served without parsing
    assert feeds == []
    first, second = _replies(transport)
    assert first == second and first[0] == 200 and first[1]["data"][wire.F_AUTH_TOKEN] == token
    assert app.mock.counters.routes["me.login"].requests == 2


def test_a_known_head_with_another_body_length_or_a_second_request_takes_the_parser(
    connection: tuple[Any, _Transport, Any],
) -> None:
    protocol, transport, _ = connection
    key = {wire.H_APP_ID: CONFIG.app_id, wire.H_API_KEY: CONFIG.rest_api_key}
    nowhere = _request("POST", "/v3/nowhere", key, b"{}")
    protocol.data_received(nowhere)
    protocol.data_received(nowhere + nowhere)  # pipelined: two requests in one read
    protocol.data_received(nowhere[:-1])  # the body arrives in two reads
    protocol.data_received(nowhere[-1:])
    replies = _replies(transport)
    assert [status for status, _ in replies] == [404] * 4
    assert {body["error"]["code"] for _, body in replies} == {wire.ERR_API_NOT_FOUND}


def test_heads_that_are_not_plain_api_requests_are_not_remembered(
    connection: tuple[Any, _Transport, Any],
) -> None:
    protocol, transport, _ = connection
    key = {wire.H_APP_ID: CONFIG.app_id, wire.H_API_KEY: CONFIG.rest_api_key}
    closing = _request("GET", wire.rest_path(wire.USERS), {**key, "Connection": "keep-alive"})
    protocol.data_received(closing)
    protocol.data_received(b"\r\n" + _request("GET", wire.rest_path(wire.USERS), key))  # (a leading CRLF)
    assert protocol._known == {}
    assert [status for status, _ in _replies(transport)] == [200, 200]
