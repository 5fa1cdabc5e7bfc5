"""One real mock server per session on 127.0.0.1:0, with faults on a few special uids;
every check runs once per driver and the tests read the results."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from authload import MockProcess
from authload.client import run_flow
from authload.mock import MockConfig
from closed_port import closed_port

from .checks import CHECKS, FAULTS, unreachable_code

HERE = Path(__file__).parent
TIMEOUT = 1.0


@pytest.fixture(scope="session")
def mock_url() -> Iterator[str]:
    with MockProcess(MockConfig(faults=FAULTS)) as mock:  # type: ignore[arg-type]
        yield mock.base_url


def _httpx_results(base_url: str) -> dict[str, Any]:
    with httpx.Client(timeout=TIMEOUT) as client:

        def runner(url: str) -> Any:
            return lambda flow: run_flow(flow, client, {"rest": url, "client": url, "app": url + "/app"})

        results = {name: check(runner(base_url), "httpx") for name, check in CHECKS.items()}
        with closed_port() as port:
            results["unreachable"] = unreachable_code(runner(f"http://127.0.0.1:{port}"))
    return json.loads(json.dumps(results))  # the same shapes as the child's JSON


def _fasthttp_results(base_url: str) -> dict[str, Any]:
    with closed_port() as port:
        command = [sys.executable, str(HERE / "fasthttp_child.py"), base_url, str(TIMEOUT), str(HERE)]
        command.append(f"http://127.0.0.1:{port}")
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="session")
def results(mock_url: str) -> dict[str, dict[str, Any]]:
    return {"httpx": _httpx_results(mock_url), "fasthttp": _fasthttp_results(mock_url)}


@pytest.fixture(params=["fasthttp", "httpx"])
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)
