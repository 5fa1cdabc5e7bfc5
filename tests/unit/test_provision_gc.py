"""Provisioning runs without cyclic garbage collection and restores it after."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from authload import pool
from authload.pool import _provision
from authload.scenario import Identities, Target


class _Transport:
    sent = 0

    def run(self, flow: Any) -> Any:
        raise AssertionError("no request in this test")


def test_provisioning_pauses_cyclic_gc_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def create(*args: Any) -> bool:
        seen.append(gc.isenabled())
        return True

    monkeypatch.setattr(_provision, "_create_or_reuse", create)  # no backend: record GC's state inside
    target = Target(
        app_id="a", rest_base_url="http://h", client_base_url="http://h", rest_api_key="k", auth_key=""
    )
    spec = Identities(count=3, uid_prefix="g-", tokens="in_flow", concurrency=2)

    def provision() -> int:
        return len(
            pool.provision(
                spec, target, _Transport(), pool.on_threads, lambda s: None, pool.Silent()
            ).identities
        )

    enabled = gc.isenabled()
    try:
        gc.enable()
        assert provision() == 3
        assert gc.isenabled()  # back on once the pool is made
        gc.disable()
        provision()
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        if enabled:
            gc.enable()
    assert seen == [False] * 6  # off for every user of both runs
