"""End-to-end (issue 11): real-time connections counted as the mock counts them, expected
outcomes and correctness failures, steps that send nothing, missing credentials before traffic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from authload import MockConfig, MockProcess, builtin

from .conftest import only_summary, run_cli

pytestmark = pytest.mark.e2e

REALTIME = """\
name: realtime
identities: {count: 6, uid_prefix: rt-}
load: {users: 4, spawn_rate: 4, run_time: 2s}
flows:
  live:
    steps: [login_auth_token, connect_realtime, {pause: 10ms}, logout, logout]
thresholds: {}
"""
WS_FAULTS = [
    {
        "kind": "error",
        "route": "ws.auth",
        "status": 401,
        "code": "AUTH_ERR_AUTH_TOKEN_NOT_FOUND",
        "probability": 0.1,
    },
    {"kind": "reset", "route": "ws.auth", "probability": 0.1},
]


def _run_against(mock: MockProcess, scenario: Path, tmp_path: Path, *extra: str) -> Any:
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "standalone.yaml").write_text(
        f"name: standalone\nbackend: mock\nrest_base_url: {mock.base_url}\ntimeout: 2\n"
    )
    result = run_cli(
        "run",
        str(scenario),
        "--env",
        "standalone",
        "--config-dir",
        str(tmp_path / "cfg"),
        "--report-dir",
        str(tmp_path / "r"),
        *extra,
    )
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


def test_realtime_counts_and_faults_equal_the_mocks(tmp_path: Path) -> None:
    scenario = tmp_path / "realtime.yaml"
    scenario.write_text(REALTIME)
    with MockProcess(MockConfig(seed=3, faults=WS_FAULTS)) as mock:  # type: ignore[arg-type]
        result = _run_against(mock, scenario, tmp_path)
        stats = httpx.get(f"{mock.base_url}/_mock/stats").json()
    assert result.returncode == 0, result.stderr[-3000:]
    steps = only_summary(tmp_path / "r")["steps"]
    live, ws = steps["connect_realtime"], stats["routes"]["ws.auth"]
    assert live["requests"] == ws["requests"] > 0
    assert live["requests"] - live["failures"] == stats["websocket"]["auth_ok"] > 0
    assert live["errors_by_code"] == {
        "REALTIME_AUTH_REJECTED": ws["faults"]["error"],
        "REALTIME_RESET": ws["faults"]["reset"],
    }
    # The second logout of each cycle sends nothing: skipped, not a request, not in total.
    assert (
        steps["logout"]["skipped"] == steps["logout"]["requests"] == stats["routes"]["me.logout"]["requests"]
    )
    total = only_summary(tmp_path / "r")["total"]
    wire = sum(figures["requests"] for figures in steps.values())
    assert total["requests"] == wire and total["skipped"] == steps["logout"]["skipped"]


def test_a_logout_that_sends_nothing_is_skipped(tmp_path: Path) -> None:
    scenario = tmp_path / "idle.yaml"
    scenario.write_text(
        "name: idle\nidentities: {count: 2, uid_prefix: idle-}\n"
        "load: {users: 2, spawn_rate: 2, run_time: 1s}\n"
        "flows:\n  idle:\n    steps: [logout, {pause: 1ms}]\nthresholds: {}\n"
    )
    with MockProcess(MockConfig()) as mock:
        result = _run_against(mock, scenario, tmp_path)
        stats = httpx.get(f"{mock.base_url}/_mock/stats").json()
    assert result.returncode == 0, result.stderr[-3000:]
    summary = only_summary(tmp_path / "r")
    assert "me.logout" not in stats["routes"]
    assert summary["total"]["requests"] == summary["steps"]["logout"]["requests"] == 0
    assert summary["steps"]["logout"]["skipped"] == summary["total"]["skipped"] > 0


@pytest.mark.parametrize("broken", [False, True], ids=["correct-backend", "deleted-tokens-stay-valid"])
def test_token_lifecycle(tmp_path: Path, broken: bool) -> None:
    with MockProcess(MockConfig(keep_deleted_tokens_valid=broken)) as mock:
        result = _run_against(mock, builtin.SCENARIOS / "token_lifecycle.yaml", tmp_path, "--run-time", "2s")
    summary = only_summary(tmp_path / "r")
    total = summary["total"]
    assert total["failures"] == 0 and total["requests"] > 0
    if not broken:
        assert result.returncode == 0, result.stdout[-2000:]
        assert total["correctness_failures"] == 0
        return
    assert result.returncode == 1
    expected = summary["steps"]["login_auth_token"]["correctness_by_code"]
    assert expected == {"EXPECTED_AUTH_ERR_AUTH_TOKEN_NOT_FOUND": total["correctness_failures"]}
    assert total["correctness_failures"] == summary["cycles"]["lifecycle"]["requests"] > 0
    rules = summary["thresholds"]
    assert [v["passed"] for v in rules if v["threshold"] == "total.correctness_failures"] == [False]


NO_AUTH_KEY = """\
name: nokey
backend: cometchat
app_id: abc123
rest_api_key: ${H11_REST_KEY}
auth_key: ${H11_AUTH_KEY:-}
"""
DEV = """\
name: dev
identities: {count: 2}
load: {users: 1, run_time: 1s}
flows:
  dev:
    steps: [login_auth_key, logout]
"""


def test_missing_auth_key_is_a_config_error_before_traffic(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "nokey.yaml").write_text(NO_AUTH_KEY)
    (tmp_path / "dev.yaml").write_text(DEV)
    env = {"H11_REST_KEY": "a" * 40}
    ran = run_cli(
        "run",
        str(tmp_path / "dev.yaml"),
        "--env",
        "nokey",
        "--config-dir",
        str(tmp_path / "cfg"),
        "--report-dir",
        str(tmp_path / "r"),
        env=env,
    )
    checked = run_cli("validate", str(tmp_path / "dev.yaml"), str(tmp_path / "cfg" / "nokey.yaml"), env=env)
    for result in (ran, checked):
        assert result.returncode == 2, result.stderr[-2000:]
        assert "'login_auth_key'" in result.stderr and "Auth Key" in result.stderr
        assert "H11_AUTH_KEY" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
    alone = run_cli("validate", str(tmp_path / "dev.yaml"), env=env)
    assert alone.returncode == 0  # without an environment there is nothing to check it against
