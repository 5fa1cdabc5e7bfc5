"""Throttling in the load path: 429s counted apart, waited out when the scenario says so; and an
open-model run states the load it asked (its rate), not Locust's user count."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from authload import MockProcess
from authload.mock import MockConfig

from .conftest import only_run, run_cli

pytestmark = pytest.mark.e2e
THROTTLED = """\
name: throttled
identities: {count: 4, uid_prefix: th-}
load: {users: 4, spawn_rate: 4, run_time: 3s}
flows:
  returning:
    steps: [login_auth_token, {pause: 20ms}, logout]
thresholds: {}
"""
RETRY = "retry: {on: [429], honour_retry_after: true, max_attempts: 3, max_wait: 200ms}\n"


@pytest.fixture
def limited() -> Iterator[MockProcess]:
    limits = {"enabled": True, "core_per_minute": 40, "standard_per_minute": 100000, "window_seconds": 1}
    with MockProcess(MockConfig.model_validate({"rate_limits": limits})) as process:
        yield process


def _run(tmp_path: Path, mock: MockProcess, scenario: str) -> dict[str, object]:
    (tmp_path / "s.yaml").write_text(scenario)
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "m.yaml").write_text(f"name: m\nbackend: mock\nrest_base_url: {mock.base_url}\n")
    files = [str(tmp_path / "s.yaml"), "--env", "m", "--config-dir", str(tmp_path / "cfg")]
    result = run_cli("run", *files, "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr[-3000:]
    summary: dict[str, object] = json.loads((only_run(tmp_path / "r") / "summary.json").read_text())
    return summary


def test_throttling_is_counted_apart(limited: MockProcess, tmp_path: Path) -> None:
    summary = _run(tmp_path, limited, THROTTLED)
    login = summary["steps"]["login_auth_token"]  # type: ignore[index]
    assert login["throttled"] > 0 and login["throttled"] == login["errors_by_code"]["ERR_TOO_MANY_REQUESTS"]
    assert 0 < login["throttle_rate"] <= login["error_rate"]
    assert summary["total"]["throttled"] == login["throttled"] and login["retried"] == 0  # type: ignore[index]


def test_the_scenario_retry_waits_out_429s(limited: MockProcess, tmp_path: Path) -> None:
    summary = _run(tmp_path, limited, THROTTLED + RETRY)
    login = summary["steps"]["login_auth_token"]  # type: ignore[index]
    assert login["retried"] > 0
    # each attempt went on the wire: Locust and the backend count every one of them
    received = httpx.get(f"{limited.base_url}/_mock/stats").json()["routes"]["me.login"]["requests"]
    assert summary["http"]["load"]["by_endpoint"]["PUT /v3.0/me"]["requests"] == received  # type: ignore[index]
    assert received == login["requests"] + login["retried"]


def test_an_open_model_run_states_its_rate(tmp_path: Path) -> None:
    scenario = """\
name: open
identities: {count: 4, uid_prefix: op-}
load: {arrival_rate: 20/s, max_users: 6, max_wait: 50ms, run_time: 2s}
flows:
  returning:
    steps: [login_auth_token, logout]
"""
    (tmp_path / "s.yaml").write_text(scenario)
    result = run_cli("run", str(tmp_path / "s.yaml"), "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr[-3000:]
    run = only_run(tmp_path / "r")
    load = json.loads((run / "summary.json").read_text())["run"]["load"]
    assert load == {
        "model": "open",
        "arrival_rate": "20/s",
        "max_users": 6,
        "max_wait_s": 0.05,
        "run_time_s": 2.0,
    }
    html = (run / "authload.html").read_text()
    assert "arrival_rate 20/s" in html and "users 10" not in html
