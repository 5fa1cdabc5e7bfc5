"""Admin endpoints: health, stats shape, reset, config without secrets; never counted."""

from __future__ import annotations

import pytest
from mock_helpers import client, key, mint, rest, stats

from authload.mock import MockConfig, create_mock_app
from authload.protocol import wire

pytestmark = pytest.mark.anyio


async def test_health_and_config_hide_the_keys() -> None:
    config = MockConfig(app_id="my-app", region="us")
    async with client(create_mock_app(config)) as http:
        assert (await http.get("/_mock/health")).json() == {
            "status": "ok",
            "app_id": "my-app",
            "region": "us",
        }
        shown = (await http.get("/_mock/config")).json()
        assert shown["app_id"] == "my-app" and "rest_api_key" not in shown and "auth_key" not in shown
        assert config.rest_api_key not in str(shown) and config.auth_key not in str(shown)


async def test_stats_shape_and_admin_calls_are_not_counted() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        empty = await stats(http)
        assert empty["routes"] == {} and empty["totals"] == {
            "requests": 0,
            "status": {},
            "codes": {},
            "faults": {},
        }
        assert empty["store"] == {"users": 5, "active_users": 5, "tokens": 0, "open_sessions": 0}
        await mint(http, config)
        await http.get(rest(wire.USER, uid="ghost"), headers=key(config))
        body = await stats(http)
        assert body["routes"]["tokens.create"] == {
            "requests": 1,
            "status": {"200": 1},
            "codes": {},
            "faults": {},
        }
        assert body["totals"] == {
            "requests": 2,
            "status": {"200": 1, "404": 1},
            "codes": {wire.ERR_UID_NOT_FOUND: 1},
            "faults": {},
        }
        assert body["store"]["tokens"] == 1
        assert set(body["websocket"]) == {"connections", "auth_ok", "auth_failed", "pings", "other_frames"}


async def test_reset_forgets_state_and_counts() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        await http.post(rest(wire.USERS), json={"uid": "tmp", "name": "T"}, headers=key(config))
        await mint(http, config)
        assert (await http.post("/_mock/reset")).json() == {"status": "reset", "seed": 0}
        body = await stats(http)
        assert (
            body["totals"]["requests"] == 0 and body["store"]["users"] == 5 and body["store"]["tokens"] == 0
        )
        for bad in (b"[1]", b"{nope", b'{"seed": "x"}', b'{"seed": true}'):
            assert (await http.post("/_mock/reset", content=bad)).status_code == 400
