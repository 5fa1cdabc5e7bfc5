"""A misbehaving backend is counted and classified, never a crash; Ctrl-C still reports;
distributed runs merge figures. The mock's ground-truth counters are the referee."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from authload import MockConfig, MockProcess

from .conftest import QUICK, ROOT, alive, descendants, only_summary, run_cli

pytestmark = pytest.mark.e2e

SIGNUP = """\
name: faulty
identities: {count: 0, uid_prefix: fault-, tokens: in_flow}
load: {users: 6, spawn_rate: 6, run_time: 3s}
flows:
  signup:
    steps: [create_user, create_auth_token, login_auth_token, logout, delete_user]
thresholds:
  total.error_rate: "< 1%"
"""
FAULTS = [
    {"kind": "latency", "route": "users.create", "distribution": "fixed", "ms": 1500, "probability": 0.05},
    {"kind": "non_json", "route": "tokens.create", "status": 502, "probability": 0.1},
    {"kind": "error", "route": "me.login", "status": 500, "code": "ERR_OPERATION_FAILED", "probability": 0.1},
    {"kind": "reset", "route": "me.logout", "probability": 0.1},
]


def test_faults_are_classified_and_match_the_mock(tmp_path: Path) -> None:
    (tmp_path / "quick.yaml").write_text(SIGNUP)
    (tmp_path / "cfg").mkdir()
    with MockProcess(MockConfig(seed=11, faults=FAULTS)) as mock:  # type: ignore[arg-type]
        (tmp_path / "cfg" / "faulty.yaml").write_text(
            f"name: faulty\nbackend: mock\nrest_base_url: {mock.base_url}\ntimeout: 0.5\n"
        )
        result = run_cli(
            "run",
            str(tmp_path / "quick.yaml"),
            "--env",
            "faulty",
            "--config-dir",
            str(tmp_path / "cfg"),
            "--report-dir",
            str(tmp_path / "r"),
        )
        stats = httpx.get(f"{mock.base_url}/_mock/stats").json()["routes"]
    assert result.returncode == 1, result.stderr[-3000:]  # completed, threshold failed
    assert "Traceback" not in result.stderr
    steps = only_summary(tmp_path / "r")["steps"]
    assert isinstance(steps, dict)

    def codes(step: str) -> dict[str, int]:
        return steps[step]["errors_by_code"]  # type: ignore[no-any-return]

    assert codes("create_user") == {"TRANSPORT_TIMEOUT": stats["users.create"]["faults"]["latency"]}
    assert codes("create_auth_token") == {"PROTOCOL_HTTP_502": stats["tokens.create"]["faults"]["non_json"]}
    assert codes("login_auth_token") == {"ERR_OPERATION_FAILED": stats["me.login"]["faults"]["error"]}
    assert all(
        n > 0
        for step in ("create_user", "create_auth_token", "login_auth_token")
        for n in codes(step).values()
    )
    # Every request the harness counted reached the mock, and no more.
    assert steps["login_auth_token"]["requests"] == stats["me.login"]["requests"]  # type: ignore[index]
    # A reset DELETE is sent once more by geventhttpclient (idempotent method, as browsers do):
    # the mock saw one extra request per reset the client absorbed, exactly.
    resets = stats["me.logout"]["faults"]["reset"]
    failed = codes("logout").get("TRANSPORT_RESET", 0)
    assert set(codes("logout")) <= {"TRANSPORT_RESET"} and resets > 0
    assert stats["me.logout"]["requests"] == steps["logout"]["requests"] + resets - failed  # type: ignore[index]


@pytest.mark.parametrize("processes", [[], ["--processes", "2"]], ids=["local", "processes"])
def test_ctrl_c_writes_reports_and_stops_the_mock(tmp_path: Path, processes: list[str]) -> None:
    scenario = tmp_path / "long.yaml"
    scenario.write_text(QUICK.replace("run_time: 2s", "run_time: 60s"))
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "authload",
            "run",
            str(scenario),
            "--report-dir",
            str(tmp_path / "r"),
            *processes,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Ready when Locust's CSV (written every second) counts requests: the load is under way.
    deadline = time.monotonic() + 40
    while not _requests_in_csv(tmp_path / "r"):
        assert time.monotonic() < deadline and child.poll() is None, "the load never started"
        time.sleep(0.1)
    mocks = [pid for pid in descendants(child.pid) if b"authload.mock" in _cmdline(pid)]
    assert mocks, "the embedded mock runs below authload run"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3, err[-3000:]
    summary = only_summary(tmp_path / "r")
    assert summary["status"] == "interrupted"
    assert summary["total"]["requests"] > 0  # type: ignore[index]
    assert not our_tracebacks(err), err[-3000:]
    deadline = time.monotonic() + 10  # the mock is stopped by Locust as it quits, or dies with it
    while any(alive(pid) for pid in mocks):
        assert time.monotonic() < deadline, "the embedded mock outlived the run"
        time.sleep(0.1)


def _requests_in_csv(report_dir: Path) -> bool:
    for path in report_dir.glob("*/locust_stats.csv"):
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        if any(row["Name"] == "Aggregated" and int(row["Request Count"]) > 0 for row in rows):
            return True
    return False


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def our_tracebacks(stderr: str) -> list[str]:
    """Tracebacks in a run's stderr, less one Locust prints by itself in `--processes` runs: its
    CSV writer greenlet can wake after the files were closed at exit ("I/O operation on closed
    file" in locust/stats.py). Nothing of authload's is in that one."""
    blocks = stderr.split("Traceback (most recent call last):")[1:]
    return [b for b in blocks if not ("locust/stats.py" in b and "I/O operation on closed file" in b)]


def test_processes_merge_worker_figures(quick_scenario: Path, tmp_path: Path) -> None:
    result = run_cli("run", str(quick_scenario), "--processes", "2", "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = [path for path in (tmp_path / "r").iterdir() if path.is_dir()]
    summary = json.loads((run / "summary.json").read_text())
    with (run / "locust_stats.csv").open() as handle:
        rows = {(row["Type"], row["Name"]): int(row["Request Count"]) for row in csv.DictReader(handle)}
    for name, figures in summary["steps"].items():
        assert figures["requests"] > 0, name
    for (_, name), count in rows.items():
        if name in summary["steps"]:  # one request per run (session_check sends none: no row)
            assert count == summary["steps"][name]["requests"], name
    assert rows[("", "Aggregated")] == summary["http"]["load"]["requests"]
    # Both workers loaded, and their own counts make up the total.
    workers = summary["workers"]
    assert len(workers) == 2 and all(worker["requests"] > 0 for worker in workers.values()), workers
    assert sum(worker["requests"] for worker in workers.values()) == summary["http"]["load"]["requests"]
    assert sum(worker["steps"] for worker in workers.values()) == summary["total"]["requests"]
    assert summary["lost_workers"] == [] and summary["rejected_workers"] == []


def test_provisioning_waits_out_rate_limits(tmp_path: Path) -> None:
    scenario = tmp_path / "pool.yaml"
    scenario.write_text(
        "name: pool\nidentities: {count: 12, uid_prefix: rl-, concurrency: 8}\n"
        "load: {users: 2, spawn_rate: 2, run_time: 1s}\n"
        "flows:\n  returning:\n    steps: [login_auth_token, logout]\n"
    )
    limits = {"enabled": True, "core_per_minute": 10, "standard_per_minute": 1000, "window_seconds": 1}
    (tmp_path / "cfg").mkdir()
    with MockProcess(MockConfig(rate_limits=limits)) as mock:  # type: ignore[arg-type]
        (tmp_path / "cfg" / "limited.yaml").write_text(
            f"name: limited\nbackend: mock\nrest_base_url: {mock.base_url}\n"
        )
        result = run_cli(
            "run",
            str(scenario),
            "--env",
            "limited",
            "--config-dir",
            str(tmp_path / "cfg"),
            "--report-dir",
            str(tmp_path / "r"),
        )
        stats = httpx.get(f"{mock.base_url}/_mock/stats").json()["routes"]
    assert "provisioned 12 identities (12 new)" in result.stderr, result.stderr[-3000:]
    assert stats["users.create"]["codes"].get("ERR_TOO_MANY_REQUESTS", 0) > 0  # it was throttled, and waited
    assert only_summary(tmp_path / "r")["status"] == "completed"
    assert "cleanup left users behind" not in result.stderr
