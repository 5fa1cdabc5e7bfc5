"""The mock's capacity model: at most `rate` requests a second on its routes, a queue of at most
`queue_ms`, refusals at once (503 in CometChat's envelope), counted in /_mock/stats."""

from __future__ import annotations

import asyncio
import time

import pytest
from mock_helpers import client, code, me, stats, token

from authload.mock import MockConfig, create_mock_app
from authload.protocol import wire

pytestmark = pytest.mark.anyio


async def test_a_burst_is_served_at_the_rate_and_the_rest_refused() -> None:
    rule = {"kind": "capacity", "route": "me.get", "rate": 20, "queue_ms": 120}
    config = MockConfig.model_validate({"faults": [rule]})
    async with client(create_mock_app(config)) as http:
        started = time.monotonic()
        replies = await asyncio.gather(*(http.get(me(), headers=token(config, "x")) for _ in range(10)))
        elapsed = time.monotonic() - started
        served = [reply for reply in replies if reply.status_code != 503]
        refused = [reply for reply in replies if reply.status_code == 503]
        # slots every 50 ms: waits of 0, 50, 100 ms fit a 120 ms queue, the 4th (150 ms) does not
        assert len(served) == 3 and len(refused) == 7, [reply.status_code for reply in replies]
        assert all(code(reply) == wire.ERR_SERVICE_UNAVAILABLE for reply in refused)
        assert 0.09 <= elapsed < 1.0
        counts = await stats(http)
        (queue,) = counts["capacity"]
        assert (queue["route"], queue["rate"], queue["queued"], queue["refused"]) == ("me.get", 20, 2, 7)
        assert 140 <= queue["waited_ms"] <= 200  # 50 + 100 ms
        assert counts["routes"]["me.get"]["requests"] == 10
        assert counts["routes"]["me.get"]["status"]["503"] == 7
        assert counts["routes"]["me.get"]["faults"] == {"capacity": 7}


async def test_at_the_rate_nothing_is_refused() -> None:
    config = MockConfig.model_validate({"faults": [{"kind": "capacity", "rate": 50, "queue_ms": 30}]})
    async with client(create_mock_app(config)) as http:
        for _ in range(5):
            reply = await http.get(me(), headers=token(config, "x"))
            assert reply.status_code != 503
            await asyncio.sleep(0.03)
        assert (await stats(http))["capacity"][0]["refused"] == 0


def test_capacity_needs_a_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        MockConfig.model_validate({"faults": [{"kind": "capacity", "route": "me.get"}]})
