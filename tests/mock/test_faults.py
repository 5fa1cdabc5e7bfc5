"""Fault injection in-process: each fault's observed effect matches /_mock/stats exactly."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from mock_helpers import client, code, key, me, mint, rest, stats, token

from authload.common._errors import TransportError
from authload.mock import MockConfig, create_mock_app
from authload.mock._app import API_ROUTES
from authload.mock._config import ROUTE_NAMES, LatencyFault
from authload.mock._faults import FaultInjector, draw_delay
from authload.mock._websocket import WS_AUTH_ROUTE
from authload.protocol import wire

pytestmark = pytest.mark.anyio


def faulty(*faults: dict[str, Any], seed: int = 7) -> MockConfig:
    return MockConfig.model_validate({"seed": seed, "faults": list(faults)})


async def test_error_fault_with_probability_matches_the_counters() -> None:
    config = faulty(
        {"kind": "error", "route": "users.get", "probability": 0.3, "status": 503, "code": "ERR_X"}
    )
    async with client(create_mock_app(config)) as http:
        statuses = []
        for _ in range(200):
            reply = await http.get(rest(wire.USER, uid="cometchat-uid-1"), headers=key(config))
            statuses.append(reply.status_code)
            if reply.status_code == 503:
                assert code(reply) == "ERR_X" and reply.json()["error"]["message"] == "ERR_X"
        injected = statuses.count(503)
        assert 30 < injected < 90
        route = (await stats(http))["routes"]["users.get"]
        assert route == {
            "requests": 200,
            "status": {"200": 200 - injected, "503": injected},
            "codes": {"ERR_X": injected},
            "faults": {"error": injected},
        }
        # Other routes are untouched.
        assert (await http.get(rest(wire.USERS), headers=key(config))).status_code == 200


async def test_same_seed_same_hits_and_reset_reseeds() -> None:
    config = faulty({"kind": "error", "probability": 0.5}, seed=42)

    async def pattern(http: Any) -> list[int]:
        return [(await http.get(rest(wire.USERS), headers=key(config))).status_code for _ in range(40)]

    async with client(create_mock_app(config)) as http:
        first = await pattern(http)
        assert (await http.post("/_mock/reset", json={})).json() == {"status": "reset", "seed": 42}
        assert await pattern(http) == first
        await http.post("/_mock/reset", json={"seed": 43})
        assert await pattern(http) != first
    async with client(create_mock_app(config)) as http:
        assert await pattern(http) == first


async def test_non_json_reply() -> None:
    config = faulty({"kind": "non_json", "route": "me.login", "status": 502})
    async with client(create_mock_app(config)) as http:
        value = await mint(http, config)
        reply = await http.put(me(), json={}, headers=token(config, value))
        assert reply.status_code == 502 and reply.headers["content-type"] == "text/html"
        assert reply.text.startswith("<html>")
        route = (await stats(http))["routes"]["me.login"]
        assert route == {"requests": 1, "status": {"502": 1}, "codes": {}, "faults": {"non_json": 1}}


async def test_slow_body_delivers_the_real_reply() -> None:
    config = faulty({"kind": "slow_body", "route": "users.get", "chunk_bytes": 10, "chunk_delay_ms": 1})
    async with client(create_mock_app(config)) as http:
        reply = await http.get(rest(wire.USER, uid="cometchat-uid-1"), headers=key(config))
        assert reply.status_code == 200 and reply.json()["data"]["uid"] == "cometchat-uid-1"
        route = (await stats(http))["routes"]["users.get"]
        assert route == {"requests": 1, "status": {"200": 1}, "codes": {}, "faults": {"slow_body": 1}}


@pytest.mark.parametrize("after_handler", [False, True])
async def test_reset_in_process_raises_and_is_counted(after_handler: bool) -> None:
    config = faulty({"kind": "reset", "route": "users.create", "after_handler": after_handler})
    async with client(create_mock_app(config)) as http:
        with pytest.raises(TransportError):
            await http.post(rest(wire.USERS), json={"uid": "r1", "name": "R"}, headers=key(config))
        route = (await stats(http))["routes"]["users.create"]
        assert route == {"requests": 1, "status": {}, "codes": {}, "faults": {"reset": 1}}
        created = (await http.get(rest(wire.USER, uid="r1"), headers=key(config))).status_code == 200
        assert created is after_handler


async def test_latency_is_applied_and_counted_per_rule() -> None:
    config = faulty(
        {"kind": "latency", "route": "users.list", "ms": 20},
        {
            "kind": "latency",
            "method": "get",
            "path": "/v3/users",
            "distribution": "uniform",
            "low_ms": 1,
            "high_ms": 2,
        },
    )
    async with client(create_mock_app(config)) as http:
        start = time.perf_counter()
        await http.get(rest(wire.USERS), headers=key(config))
        assert time.perf_counter() - start >= 0.02
        await http.get(rest(wire.USERS, "v3.0"), headers=key(config))  # path rule misses
        route = (await stats(http))["routes"]["users.list"]
        assert route["faults"] == {"latency": 3} and route["status"] == {"200": 2}


async def test_route_method_and_path_matching() -> None:
    config = faulty(
        {"kind": "error", "path": "/v3*/users/*/auth_tokens", "method": "POST", "status": 500},
        {"kind": "error", "route": "*", "method": "DELETE", "status": 418, "code": "ERR_TEAPOT"},
    )
    async with client(create_mock_app(config)) as http:
        minted = await http.post(rest(wire.AUTH_TOKENS, uid="cometchat-uid-1"), json={}, headers=key(config))
        assert minted.status_code == 500 and code(minted) == wire.ERR_OPERATION_FAILED
        listed = await http.get(rest(wire.AUTH_TOKENS, uid="cometchat-uid-1"), headers=key(config))
        assert listed.status_code == 200
        deleted = await http.request("DELETE", rest(wire.USER, uid="x"), json={}, headers=key(config))
        assert deleted.status_code == 418
        totals = (await stats(http))["totals"]
        assert totals["faults"] == {"error": 2} and totals["requests"] == 3


async def test_rate_limit_comes_before_terminal_faults() -> None:
    config = MockConfig.model_validate(
        {"rate_limits": {"enabled": True, "standard_per_minute": 1}, "faults": [{"kind": "error"}]}
    )
    async with client(create_mock_app(config, clock=lambda: 30.0)) as http:
        assert (await http.get(rest(wire.USERS), headers=key(config))).status_code == 500
        assert (await http.get(rest(wire.USERS), headers=key(config))).status_code == 429
        assert (await stats(http))["totals"]["faults"] == {"error": 1}


def test_delay_distributions() -> None:
    rng = random.Random(1)
    assert draw_delay(LatencyFault(ms=5), rng) == 0.005
    uniform = [draw_delay(LatencyFault(distribution="uniform", low_ms=2, high_ms=4), rng) for _ in range(100)]
    assert all(0.002 <= d <= 0.004 for d in uniform)
    spec = LatencyFault(distribution="lognormal", median_ms=10, sigma=0.5)
    draws = sorted(draw_delay(spec, rng) for _ in range(2001))
    assert 0.008 < draws[1000] < 0.012
    assert draw_delay(LatencyFault(distribution="lognormal", median_ms=0), rng) == 0.0
    assert draw_delay(LatencyFault(ms=100, max_ms=10), rng) == 0.01


def test_no_rules_no_plan() -> None:
    assert FaultInjector((), 0).plan("me.login", "PUT", "/v3.0/me") is None


def test_fault_config_is_validated() -> None:
    with pytest.raises(ValueError, match="kind"):
        MockConfig.model_validate({"faults": [{"kind": "explode"}]})
    with pytest.raises(ValueError, match="probability"):
        MockConfig.model_validate({"faults": [{"kind": "error", "probability": 2}]})


def test_fault_routes_must_be_known_and_the_error_lists_them() -> None:
    with pytest.raises(
        ValueError, match="unknown route 'me.logn'; known routes: \\*, users.create"
    ) as caught:
        MockConfig.model_validate({"faults": [{"kind": "error", "route": "me.logn"}]})
    assert all(name in str(caught.value) for name in ROUTE_NAMES)
    for route in ("*", None, "me.login"):
        MockConfig.model_validate({"faults": [{"kind": "reset", "route": route}]})


def test_an_unknown_fault_kind_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'erorr'; known kinds: latency, error, reset"):
        MockConfig.model_validate({"faults": [{"kind": "erorr"}]})
    with pytest.raises(ValueError, match="a fault needs a kind"):
        MockConfig.model_validate({"faults": [{"route": "me.login"}]})


def test_route_names_are_the_served_routes() -> None:
    assert sorted(ROUTE_NAMES) == sorted([*(route.name for route in API_ROUTES), WS_AUTH_ROUTE])
