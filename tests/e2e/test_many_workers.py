"""Four workers: a master with four `locust --worker` processes, and `--processes 4`.

The mock runs in the test's own thread and notes which process sent each user's requests
(`traced_mock`): every identity must be used by one worker only. The summary's per-worker
counts must add up to its total and to what the mock received; an open-model rate must be
split so that the arrivals scheduled are the rate times the run time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from closed_port import port_for_a_server

from .conftest import ROOT, descendants, only_summary, run_cli
from .traced_mock import Trace, traced_mock

pytestmark = pytest.mark.e2e

WORKERS, POOL = 4, 16
CLOSED = """\
name: four
identities: {count: 16, uid_prefix: four-}
load: {users: 8, spawn_rate: 8, run_time: 3s}
flows:
  returning:
    steps: [login_auth_token, logout]
"""
OPEN = """\
name: four-open
identities: {count: 16, uid_prefix: fopen-}
load: {arrival_rate: 40/s, max_users: 16, max_wait: 2s, run_time: 3s}
flows:
  returning:
    steps: [login_auth_token, logout]
thresholds:
  arrivals.dropped: "== 0"
"""
KEY = {"AUTHLOAD_RUN_KEY": "many-workers-test-run-key-0123456789"}


def _files(tmp_path: Path, base_url: str, scenario: str) -> list[str]:
    (tmp_path / "s.yaml").write_text(scenario)
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "m.yaml").write_text(f"name: m\nbackend: mock\nrest_base_url: {base_url}\n")
    return ["--scenario", str(tmp_path / "s.yaml"), "--env", "m", "--config-dir", str(tmp_path / "cfg")]


def _mock_requests(base_url: str) -> int:
    routes = httpx.get(f"{base_url}/_mock/stats").json()["routes"]
    return sum(int(routes.get(name, {}).get("requests", 0)) for name in ("me.login", "me.logout"))


def _check_split(summary: Any, trace: Trace, pool_prefix: str, base_url: str) -> None:
    """Figures merged exactly, identities disjoint across the four workers."""
    workers = summary["workers"]
    assert len(workers) == WORKERS, workers
    assert all(w["requests"] > 0 for w in workers.values()), workers
    assert sum(w["requests"] for w in workers.values()) == summary["http"]["load"]["requests"]
    assert summary["http"]["load"]["requests"] == _mock_requests(base_url) > 0
    assert trace.unknown == 0 and trace.senders, (trace.unknown, len(trace.senders))
    shared = {uid: pids for uid, pids in trace.senders.items() if len(pids) > 1}
    assert shared == {}, f"identities used by more than one worker: {shared}"
    assert all(uid.startswith(pool_prefix) for uid in trace.senders), sorted(trace.senders)[:5]
    by_worker: dict[int, int] = {}
    for (pid,) in trace.senders.values():
        by_worker[pid] = by_worker.get(pid, 0) + 1
    # Four senders, each within its quarter of the pool.
    assert len(by_worker) == WORKERS and all(n <= POOL // WORKERS for n in by_worker.values()), by_worker


def test_master_and_four_worker_processes_split_identities_and_add_up(tmp_path: Path) -> None:
    locust = [sys.executable, "-m", "locust", "-f", "locustfiles/auth_flow.py"]
    env = {**os.environ, **KEY}
    port = port_for_a_server()
    workers: list[subprocess.Popen[bytes]] = []
    with traced_mock(lambda: [w.pid for w in workers]) as (base_url, trace):
        files = _files(tmp_path, base_url, CLOSED)
        started = time.monotonic()
        master = subprocess.Popen(
            [*locust, "--master", "--master-bind-port", str(port), "--expect-workers", str(WORKERS)]
            + ["--headless", *files, "--report-dir", str(tmp_path / "r")],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            for _ in range(WORKERS):
                workers.append(
                    subprocess.Popen(
                        [*locust, "--worker", "--master-port", str(port)],
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                )
            _, err = master.communicate(timeout=60)
            for worker in workers:
                worker.wait(timeout=30)
        finally:
            for process in (master, *workers):
                if process.poll() is None:
                    process.kill()
        summary = only_summary(tmp_path / "r")
        _check_split(summary, trace, "four-", base_url)
    assert master.returncode == 0, err.decode()[-3000:]
    assert time.monotonic() - started < 40
    # Each of the 8 users kept one connection: the workers' counts add up to what the mock saw.
    assert summary["total"]["connections_opened"] == len(trace.ports) == 8, (
        summary["total"]["connections_opened"],
        len(trace.ports),
    )


def test_processes_4_split_an_open_model_rate_exactly(tmp_path: Path) -> None:
    with traced_mock(lambda: descendants(os.getpid())) as (base_url, trace):
        files = _files(tmp_path, base_url, OPEN)
        started = time.monotonic()
        result = run_cli(
            "run", files[1], "--processes", str(WORKERS), *files[2:], "--report-dir", str(tmp_path / "r")
        )
        assert result.returncode == 0, result.stderr[-3000:]
        summary = only_summary(tmp_path / "r")
        _check_split(summary, trace, "fopen-", base_url)
    assert time.monotonic() - started < 40
    arrivals = summary["arrivals"]
    # 40/s for 3 s, split four ways: the shares add up to 120 (within 1%) and each ran.
    assert abs(arrivals["scheduled"] - 120) <= 1.2 and arrivals["dropped"] == 0, arrivals
    assert summary["cycles"]["returning"]["requests"] == arrivals["started"]
    # Each worker scheduled its exact quarter (10/s, phases 0, 1/4, 2/4, 3/4 of 0.1 s): 30 cycles
    # of two requests each.
    assert [w["requests"] for w in summary["workers"].values()] == [60] * WORKERS, summary["workers"]
    assert "internal error" not in result.stderr, result.stderr[-3000:]
