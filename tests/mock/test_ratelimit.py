"""Rate limits: core and standard tiers, a combined cap, fixed and sliding windows, headers."""

from __future__ import annotations

import pytest
from mock_helpers import client, code, key, me, mint, rest, token

from authload.mock import MockConfig, create_mock_app
from authload.mock._config import RateLimits
from authload.mock._ratelimit import RateLimiter
from authload.protocol import wire

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self, now: float = 600_020.0) -> None:  # 20 s into a minute
        self.now = now

    def __call__(self) -> float:
        return self.now


def limited(**limits: object) -> MockConfig:
    return MockConfig.model_validate({"rate_limits": {"enabled": True, **limits}})


async def test_off_by_default_no_headers() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        reply = await http.get(rest(wire.USERS), headers=key(config))
        assert not any(name.lower() in reply.headers for pair in wire.RATE_LIMIT_HEADERS for name in pair)


async def test_core_tier_429_with_both_header_spellings() -> None:
    config = limited(core_per_minute=2, standard_per_minute=100)
    clock = Clock()
    async with client(create_mock_app(config, clock=clock)) as http:
        first = await http.post(rest(wire.AUTH_TOKENS, uid="cometchat-uid-1"), json={}, headers=key(config))
        for old, new in wire.RATE_LIMIT_HEADERS:
            assert first.headers[old] == first.headers[new]
        assert first.headers["X-Rate-Limit"] == "2" and first.headers["X-Rate-Limit-Remaining"] == "1"
        assert first.headers["X-Rate-Limit-Reset"] == "600060"
        value = first.json()["data"][wire.F_AUTH_TOKEN]
        assert (await http.put(me(), json={}, headers=token(config, value))).status_code == 200  # core too
        refused = await http.put(me(), json={}, headers=token(config, value))
        assert refused.status_code == 429 and code(refused) == wire.ERR_TOO_MANY_REQUESTS
        assert refused.json()["error"]["message"] == wire.ERROR_MESSAGES[wire.ERR_TOO_MANY_REQUESTS]
        assert refused.headers[wire.H_RETRY_AFTER] == "40"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        # The standard tier is separate and still open.
        assert (await http.get(me(), headers=token(config, value))).status_code == 200
        clock.now += 40  # next window
        assert (await http.put(me(), json={}, headers=token(config, value))).status_code == 200


async def test_combined_cap_covers_both_tiers() -> None:
    config = limited(core_per_minute=100, standard_per_minute=100, combined_per_minute=3)
    async with client(create_mock_app(config, clock=Clock())) as http:
        value = await mint(http, config)
        assert (await http.get(me(), headers=token(config, value))).status_code == 200
        assert (await http.get(rest(wire.USERS), headers=key(config))).headers["X-Rate-Limit"] == "3"
        reply = await http.get(rest(wire.USERS), headers=key(config))
        assert reply.status_code == 429


async def test_refused_requests_do_not_count_and_are_in_stats() -> None:
    config = limited(standard_per_minute=1)
    async with client(create_mock_app(config, clock=Clock())) as http:
        for _ in range(3):
            await http.get(rest(wire.USERS), headers=key(config))
        route = (await http.get("/_mock/stats")).json()["routes"]["users.list"]
        assert route == {
            "requests": 3,
            "status": {"200": 1, "429": 2},
            "codes": {wire.ERR_TOO_MANY_REQUESTS: 2},
            "faults": {},
        }


def test_fixed_window_resets_on_the_boundary() -> None:
    clock = Clock(59.0)
    limiter = RateLimiter(RateLimits(enabled=True, core_per_minute=2), clock)
    assert limiter.check("core").allowed and limiter.check("core").allowed
    refused = limiter.check("core")
    assert not refused.allowed and refused.retry_after == 1 and refused.reset_at == 60
    clock.now = 60.0
    assert limiter.check("core").allowed


def test_sliding_window_weighs_the_previous_window() -> None:
    clock = Clock(30.0)
    limiter = RateLimiter(RateLimits(enabled=True, core_per_minute=4, window="sliding"), clock)
    for _ in range(4):
        assert limiter.check("core").allowed
    clock.now = 75.0  # 25% into the next window: 4 * 0.75 = 3 still count
    assert limiter.check("core").allowed
    assert not limiter.check("core").allowed
    clock.now = 300.0  # windows later: nothing counts
    assert limiter.check("core").remaining == 3
    limiter.reset()
    assert limiter.check("core").remaining == 3
