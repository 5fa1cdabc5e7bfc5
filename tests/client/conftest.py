"""The httpx clients against the mock, in process, through httpx's ASGI transport.

`httpx.ASGITransport` is async; the clients are sync. `SyncASGITransport`
runs each request on one long-lived event loop (an anyio blocking portal), so
the mock's in-memory state lives across requests as it would in a server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio.from_thread
import httpx
import pytest
from pytest_socket import disable_socket, enable_socket

from authload import MockConfig, create_mock_app


class SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app: Any, portal: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def send() -> httpx.Response:
            async_request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._inner.handle_async_request(async_request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        result: httpx.Response = self._portal.call(send)
        return result


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """In process means in process: no TCP socket may open (the event loop's AF_UNIX pair may)."""
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


@pytest.fixture
def mock_config() -> MockConfig:
    return MockConfig()


@pytest.fixture
def transport(mock_config: MockConfig) -> Iterator[SyncASGITransport]:
    with anyio.from_thread.start_blocking_portal() as portal:
        yield SyncASGITransport(create_mock_app(mock_config), portal)
