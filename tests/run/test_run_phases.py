"""`Run`'s phases and the web UI's start gate, driven in a process of their own on Locust's own
Environment and runner: no Locust command line, no web server, a second or two per case."""

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
from authload.mock import MockConfig

HERE = Path(__file__).parent
SCENARIO = """\
name: phases
identities: {count: 3, uid_prefix: ph-}
load: {users: 2, spawn_rate: 2, run_time: 3s}
flows:
  returning:
    steps: [session_check, login_auth_token, logout]
"""
OPEN = """\
name: phases-open
identities: {count: 3, uid_prefix: op-}
load: {arrival_rate: 5/s, max_users: 2, run_time: 2s}
flows:
  returning:
    steps: [login_auth_token, logout]
"""


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    with MockProcess(MockConfig()) as process:
        yield process


def drive(case: str, tmp_path: Path, mock: MockProcess, scenario: str = SCENARIO) -> Any:
    (tmp_path / "s.yaml").write_text(scenario)
    (tmp_path / "broken.yaml").write_text("name: broken\nflows:\n  f: {steps: [login_auth_kee]}\n")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "m.yaml").write_text(f"name: m\nbackend: mock\nrest_base_url: {mock.base_url}\n")
    command = [sys.executable, str(HERE / "run_child.py"), case, str(tmp_path / "s.yaml"), mock.base_url]
    done = subprocess.run([*command, str(tmp_path / "r")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def users(mock: MockProcess) -> int:
    return int(httpx.get(f"{mock.base_url}/_mock/stats").json()["store"]["users"])


def test_prepare_start_stop(tmp_path: Path, mock: MockProcess) -> None:
    seen = drive("headless", tmp_path, mock)
    assert seen["plan"] and seen["users"] == 2 and seen["run_time"] == 3  # the scenario's load
    assert seen["classes"] == ["AuthFlowUser"] and seen["bound"] and not seen["shape"]
    assert seen["identities"] == 3 and seen["provisioning_requests"] == 6  # 3 users, 3 tokens
    figures = seen["summary"]
    assert figures["status"] == "completed" and figures["verdict"] == "pass"
    assert figures["login"] == 3 and figures["http"] == 6  # three cycles: login + logout each
    assert figures["cleanup"] == 3 and figures["cleanup_requests"] == 3
    assert seen["left_after_cleanup"] == []


def test_a_stop_between_cycles_starts_no_other_cycle(tmp_path: Path, mock: MockProcess) -> None:
    # Locust kills a user it finds between tasks at once; its kill landed in the next cycle's
    # first request, counted UNFINISHED after the run was over (a FAIL in CI, seen on 2 cores).
    seen = drive("stop_between_cycles", tmp_path, mock)
    assert seen["finished"] and seen["cycles"] == 2
    assert seen["login"] == seen["logout"] == 2 and seen["errors"] == {}, seen


def test_the_start_gate(tmp_path: Path, mock: MockProcess) -> None:
    before = users(mock)
    seen = drive("gate", tmp_path, mock)
    assert not seen["prepared_at_init"] and seen["identities_at_init"] is None  # the UI provisions per start
    assert f"{tmp_path / 'broken.yaml'}:3" in seen["broken"] and "unknown step" in seen["broken"]
    assert seen["after_broken"] == {"plan": None, "prepared": False, "refused": seen["broken"]}
    assert seen["good"] is None
    assert seen["after_good"]["prepared"] and seen["after_good"]["identities"] == 3
    assert seen["after_good"]["refused"] is None
    assert seen["started"] == {"prepared": False, "runs": True}  # the gate's preparation was used once
    assert seen["edit_same"] is None  # changing the user count of a running test
    assert seen["edit_other"] == "stop the running test before starting another scenario or env"
    assert "unknown step" in seen["unprepared_start"]  # refused before any user spawns
    assert users(mock) == before  # the good start's users were cleaned up; the broken made none


def test_the_open_model_installs_its_shape(tmp_path: Path, mock: MockProcess) -> None:
    seen = drive("open_model", tmp_path, mock, OPEN)
    assert seen == {
        "shape_bound": True,
        "classes": ["ArrivalUser"],
        "tick_classes": ["ArrivalUser"],
        "tick_is_bound": True,
    }
