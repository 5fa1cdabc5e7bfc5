"""Mock tests run in-process on asyncio (anyio's pytest plugin), except `test_server.py`."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
