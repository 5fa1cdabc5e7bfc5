"""Connections opened per step: a backend that closes idle connections shows in the summary.

The mock closes idle keep-alive connections after 0.3 s; pauses of 0.7 s make every step after
a pause reconnect, so each step opens one connection per request. Without pauses, each virtual
user keeps the one connection its first step opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from authload import MockConfig, MockProcess

from .conftest import only_summary, run_cli

pytestmark = pytest.mark.e2e

USERS = 3
SCENARIO = """\
name: conns
identities: {{count: {users}, uid_prefix: conn-}}
load: {{users: {users}, spawn_rate: {users}, run_time: 3s}}
flows:
  returning:
    steps: {steps}
"""
PAUSED = "[login_auth_token, {pause: 700ms}, logout, {pause: 700ms}]"
BUSY = "[login_auth_token, logout]"


def _run(tmp_path: Path, name: str, steps: str, *extra: str) -> tuple[Any, int]:
    scenario = tmp_path / f"{name}.yaml"
    scenario.write_text(SCENARIO.format(users=USERS, steps=steps))
    reports = tmp_path / f"r-{name}"
    with MockProcess(MockConfig(keep_alive_seconds=0.3)) as mock:
        (tmp_path / "cfg").mkdir(exist_ok=True)
        (tmp_path / "cfg" / "m.yaml").write_text(f"name: m\nbackend: mock\nrest_base_url: {mock.base_url}\n")
        files = ["--env", "m", "--config-dir", str(tmp_path / "cfg"), "--report-dir", str(reports)]
        result = run_cli("run", str(scenario), *extra, *files)
        logins = httpx.get(f"{mock.base_url}/_mock/stats").json()["routes"]["me.login"]["requests"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return only_summary(reports), int(logins)


def test_reconnects_after_idle_close_are_counted_per_step_across_workers(tmp_path: Path) -> None:
    # Two worker processes: the counts travel in the workers' figures and add up on the master.
    summary, logins = _run(tmp_path, "paused", PAUSED, "--processes", "2")
    steps = summary["steps"]
    assert steps["login_auth_token"]["requests"] == logins > 0
    for name in ("login_auth_token", "logout"):
        figures = steps[name]
        assert figures["failures"] == 0, figures
        # Every request follows a pause longer than the backend's keep-alive: one connection each.
        assert figures["connections_opened"] == figures["requests"] > 0, (name, figures)
    total = summary["total"]
    assert total["connections_opened"] == sum(steps[n]["connections_opened"] for n in steps)
    assert "connections_opened" not in summary["cycles"]["returning"] or (
        summary["cycles"]["returning"]["connections_opened"] == 0
    )


def test_without_pauses_each_user_keeps_its_first_connection(tmp_path: Path) -> None:
    summary, _ = _run(tmp_path, "busy", BUSY)
    steps = summary["steps"]
    assert steps["logout"]["requests"] > 10 * USERS  # many requests over the kept connections
    assert steps["logout"]["connections_opened"] == 0, steps["logout"]
    assert steps["login_auth_token"]["connections_opened"] == USERS, steps["login_auth_token"]
    assert summary["total"]["connections_opened"] == USERS
