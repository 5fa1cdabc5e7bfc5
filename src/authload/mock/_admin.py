"""Admin endpoints under `/_mock/`, outside CometChat's paths; never counted in the stats.

- `GET /_mock/health`: `{"status": "ok", "app_id": ..., "region": ...}`
- `GET /_mock/stats`: `{"routes": {name: counts}, "totals": counts, "websocket": {...},
  "store": {...}}`
- `POST /_mock/reset`: forget state and counts; body `{"seed": n}` is optional;
  replies `{"status": "reset", "seed": n}`
- `GET /_mock/config`: the configuration without its keys

`counts` is `{"requests", "status": {"200": n}, "codes": {code: n}, "faults": {kind: n}}`.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ._context import MockState

ADMIN_PREFIX = "/_mock/"


def admin_routes(state: MockState) -> list[Route]:
    """The admin routes bound to `state`."""

    async def health(request: Request) -> JSONResponse:
        config = state.config
        return JSONResponse({"status": "ok", "app_id": config.app_id, "region": config.region})

    async def stats(request: Request) -> JSONResponse:
        capacity = state.capacity.as_json() if state.capacity is not None else []
        return JSONResponse({**state.counters.as_json(), "store": state.store.counts(), "capacity": capacity})

    async def reset(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = None
        seed = body.get("seed", state.config.seed) if isinstance(body, dict) else None
        if not isinstance(seed, int) or isinstance(seed, bool):
            return JSONResponse({"error": 'body must be {} or {"seed": <int>}'}, status_code=400)
        state.reset(seed)
        return JSONResponse({"status": "reset", "seed": seed})

    async def config(request: Request) -> JSONResponse:
        return JSONResponse(state.config.public_dump())

    return [
        Route(ADMIN_PREFIX + "health", health, methods=["GET"]),
        Route(ADMIN_PREFIX + "stats", stats, methods=["GET"]),
        Route(ADMIN_PREFIX + "reset", reset, methods=["POST"]),
        Route(ADMIN_PREFIX + "config", config, methods=["GET"]),
    ]
