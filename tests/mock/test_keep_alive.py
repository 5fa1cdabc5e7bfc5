"""Idle keep-alive: the mock closes an idle connection after `keep_alive_seconds`, not uvicorn's 5 s."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from mock_helpers import served

from authload.mock import MockConfig

IDLE = 0.4


@pytest.fixture()
def address() -> Iterator[tuple[str, int]]:
    with served(MockConfig(keep_alive_seconds=IDLE)) as address:
        yield address


def test_the_default_is_a_realistic_minute() -> None:
    assert MockConfig().keep_alive_seconds == 60


def test_an_idle_connection_closes_after_keep_alive_seconds(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(b"GET /_mock/health HTTP/1.1\r\nhost: x\r\n\r\n")
        reply = sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200")
        idle_from = time.monotonic()
        while sock.recv(65536):  # the server's close ends the loop
            pass
        idle = time.monotonic() - idle_from
    assert IDLE * 0.8 <= idle < 3  # uvicorn's own default would hold it 5 s
