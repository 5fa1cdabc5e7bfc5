"""A backend that stops answering never reads PASS: the frozen span is a stall (spans with
requests in flight and none answered), the default guard fails it, and requests still in
flight when a run is stopped count as UNFINISHED failures instead of vanishing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from authload import MockProcess
from authload.mock import MockConfig

from .conftest import ROOT, only_run, run_cli

pytestmark = pytest.mark.e2e
SCENARIO = """\
name: frozen
identities: {count: 8, uid_prefix: fz-}
load: {users: 8, spawn_rate: 8, run_time: 10s}
flows:
  returning:
    steps: [login_auth_token, logout]
"""


@pytest.fixture
def mock() -> Iterator[MockProcess]:
    with MockProcess(MockConfig()) as process:
        yield process


def _files(tmp_path: Path, mock: MockProcess, timeout: float = 10) -> list[str]:
    (tmp_path / "s.yaml").write_text(SCENARIO)
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "m.yaml").write_text(
        f"name: m\nbackend: mock\nrest_base_url: {mock.base_url}\ntimeout: {timeout}\n"
    )
    return [str(tmp_path / "s.yaml"), "--env", "m", "--config-dir", str(tmp_path / "cfg")]


def _freeze(pid: int, at: float, until: float | None) -> threading.Thread:
    def freeze() -> None:
        time.sleep(at)
        os.kill(pid, signal.SIGSTOP)
        if until is not None:
            time.sleep(until - at)
            os.kill(pid, signal.SIGCONT)

    thread = threading.Thread(target=freeze, daemon=True)
    thread.start()
    return thread


def test_a_backend_frozen_mid_run_reads_fail_with_the_stall(mock: MockProcess, tmp_path: Path) -> None:
    assert mock.pid is not None
    started = time.monotonic()
    # frozen from about 4 s into the run (provisioning and startup take ~1 s) for 4 s
    _freeze(mock.pid, 5.0, 9.0)
    result = run_cli("run", *_files(tmp_path, mock), "--report-dir", str(tmp_path / "r"), timeout=120)
    os.kill(mock.pid, signal.SIGCONT)
    assert result.returncode == 1, result.stderr[-3000:]  # completed, and judged: FAIL
    run = only_run(tmp_path / "r")
    summary = json.loads((run / "summary.json").read_text())
    assert summary["verdict"] == "fail" and time.monotonic() - started < 60
    (stall,) = summary["stalls"]
    assert 3.0 <= stall["to_s"] - stall["from_s"] <= 5.5, stall
    assert stall["in_flight"] >= 1
    assert 3.0 <= summary["total"]["stalled_s"] <= 5.5
    guard = next(rule for rule in summary["thresholds"] if rule["threshold"] == "total.stalled_s")
    assert not guard["passed"] and "default guard" in guard["note"]
    assert "stalls (requests in flight, none answered): 1 (" in result.stdout
    assert 'name="stalled_s"' in (run / "junit.xml").read_text()
    markdown = (run / "summary.md").read_text()
    assert "Stalls (spans" in markdown and "in flight and none answered): 1 (" in markdown
    assert 'class="stall"' in (run / "authload.html").read_text()


def test_requests_in_flight_at_a_stop_are_unfinished_failures(mock: MockProcess, tmp_path: Path) -> None:
    """Frozen through the end, with a request timeout longer than the stop timeout: the cycles
    in flight are stopped mid-request, and each such request is a failure."""
    assert mock.pid is not None
    scenario, *env = _files(tmp_path, mock, timeout=60)
    command = [sys.executable, "-m", "locust", "-f", "locustfiles/auth_flow.py", "--headless", "-t", "4s"]
    command += ["--scenario", scenario, *env, "--report-dir", str(tmp_path / "r"), "--stop-timeout", "1"]
    _freeze(mock.pid, 3.0, 8.0)  # past the end and the 1 s stop timeout; thawed for the cleanup
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=90)
    finally:
        os.kill(mock.pid, signal.SIGCONT)
    assert done.returncode == 1, done.stderr[-3000:]
    summary = json.loads((only_run(tmp_path / "r") / "summary.json").read_text())
    unfinished_steps = sum(
        figures["errors_by_code"].get("UNFINISHED", 0) for figures in summary["steps"].values()
    )
    assert 1 <= unfinished_steps <= 8, summary["steps"]  # at most one a user
    endpoints = summary["http"]["load"]["by_endpoint"]
    unfinished = sum(entry["failures_by_code"].get("UNFINISHED", 0) for entry in endpoints.values())
    assert unfinished == unfinished_steps  # each step stopped mid-request: its request, once
    assert summary["cycles"]["returning"]["errors_by_code"].get("UNFINISHED") == unfinished_steps
