"""Every flow, over every transport: the FastHttpSession driver (the load path) and the
httpx driver (clients, CLI) read the same mock the same way and classify failures alike."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .checks import EXPECTED


@pytest.mark.parametrize("check", sorted(EXPECTED))
def test_flow(results: dict[str, dict[str, Any]], driver: str, check: str) -> None:
    expected = json.loads(json.dumps(EXPECTED[check]).replace("{tag}", driver))
    assert results[driver][check] == expected
