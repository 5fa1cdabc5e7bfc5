"""Idle keep-alive: the mock closes an idle connection after `keep_alive_seconds`, not uvicorn's 5 s."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from authload.mock import MockConfig, serve

IDLE = 0.4


@pytest.fixture()
def address() -> Iterator[tuple[str, int]]:
    ready: list[str] = []
    started, stop = threading.Event(), threading.Event()

    def on_ready(url: str) -> None:
        ready.append(url)
        started.set()

    config = MockConfig(keep_alive_seconds=IDLE)
    thread = threading.Thread(target=serve, args=(config, "127.0.0.1", 0, on_ready), kwargs={"stop": stop})
    thread.start()
    assert started.wait(10), "the mock did not start"
    host, port = ready[0].removeprefix("http://").split(":")
    yield host, int(port)
    stop.set()
    thread.join(10)


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
