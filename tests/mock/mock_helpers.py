"""Small helpers the mock tests share: an in-process client, a real server in a thread, the
usual headers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from authload.mock import MockConfig, serve
from authload.protocol import wire

BASE_URL = "http://127.0.0.1:8765"


def client(app: Any, base_url: str = BASE_URL) -> httpx.AsyncClient:
    """An httpx client that calls `app` in-process (the client address is loopback)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@contextmanager
def served(config: MockConfig) -> Iterator[tuple[str, int]]:
    """(host, port) of the mock served by `serve()` on 127.0.0.1 in a thread, stopped after."""
    ready: list[str] = []
    started, stop = threading.Event(), threading.Event()

    def on_ready(url: str) -> None:
        ready.append(url)
        started.set()

    thread = threading.Thread(target=serve, args=(config, "127.0.0.1", 0, on_ready), kwargs={"stop": stop})
    thread.start()
    try:
        assert started.wait(10), "the mock did not start"
        host, port = ready[0].removeprefix("http://").split(":")
        yield host, int(port)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive(), "the mock did not stop"


def key(config: MockConfig, *, auth_key: bool = False) -> dict[str, str]:
    """Headers with the REST API key (or the Auth Key) and the app id."""
    return {
        wire.H_APP_ID: config.app_id,
        wire.H_API_KEY: config.auth_key if auth_key else config.rest_api_key,
    }


def token(config: MockConfig, value: str) -> dict[str, str]:
    """Headers of a client call with `value` as the auth token."""
    return {wire.H_APP_ID: config.app_id, wire.H_AUTH_TOKEN: value}


def rest(template: str, version: str = wire.REST_VERSION, **params: str) -> str:
    return wire.rest_path(template, version, **params)


def me() -> str:
    return wire.client_path(wire.ME)


def code(response: httpx.Response) -> str:
    """The error code of a CometChat error reply."""
    return str(response.json()["error"]["code"])


async def mint(http: httpx.AsyncClient, config: MockConfig, uid: str = "cometchat-uid-1") -> str:
    """A fresh auth token for `uid`."""
    reply = await http.post(rest(wire.AUTH_TOKENS, uid=uid), json={"force": True}, headers=key(config))
    assert reply.status_code == 200, reply.text
    return str(reply.json()["data"][wire.F_AUTH_TOKEN])


async def stats(http: httpx.AsyncClient) -> dict[str, Any]:
    reply = await http.get("/_mock/stats")
    assert reply.status_code == 200
    result: dict[str, Any] = reply.json()
    return result
