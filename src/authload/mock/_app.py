"""`create_mock_app`: the mock backend as one ASGI (Starlette) app.

CometChat API requests go to `_http.HttpPipeline`, over plain ASGI here, or
straight from the mock's HTTP protocol when `serve` runs it (`_protocol`): the
login hot path pays for no Starlette request objects or middleware. Admin
endpoints (`/_mock/*`) and the WebSocket on `/` go through Starlette's router.
New API routes are added to a `ROUTES` tuple in a `_routes_*` module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from ._admin import ADMIN_PREFIX, admin_routes
from ._config import MockConfig
from ._context import MockState, Route
from ._http import HttpPipeline
from ._routes_app import ROUTES as APP_ROUTES
from ._routes_client import ROUTES as CLIENT_ROUTES
from ._routes_tokens import ROUTES as TOKEN_ROUTES
from ._routes_users import ROUTES as USER_ROUTES
from ._websocket import websocket_endpoint

API_ROUTES: tuple[Route, ...] = USER_ROUTES + TOKEN_ROUTES + CLIENT_ROUTES + APP_ROUTES


class MockApp(Starlette):
    """The mock backend. `mock` holds its state (store, counters, limiter, faults)."""

    def __init__(self, config: MockConfig, clock: Callable[[], float]) -> None:
        self.mock = MockState.build(config, clock)
        routes = [*admin_routes(self.mock), WebSocketRoute("/", websocket_endpoint(self.mock))]
        super().__init__(routes=routes)
        self.api = HttpPipeline(self.mock, API_ROUTES)
        self.asgi_prefixes = (ADMIN_PREFIX,)  # paths served as ASGI cycles, not on the direct path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(ADMIN_PREFIX):
            await self.api(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_mock_app(config: MockConfig | None = None, *, clock: Callable[[], float] | None = None) -> MockApp:
    """Build the mock CometChat backend.

    `config` defaults to `MockConfig()`. `clock` (unix seconds) drives token
    timestamps and rate-limit windows; tests inject one to move time at will.
    """
    return MockApp(config or MockConfig(), clock or time.time)
