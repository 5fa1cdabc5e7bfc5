"""The open model and stages, end to end: the mock's own counters referee the arrival rate;
a slow backend makes arrivals wait or drop; closed-model stages shape Locust's user count."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from authload import MockConfig, MockProcess

from .conftest import ROOT, only_run, only_summary, run_cli

pytestmark = pytest.mark.e2e

OPEN = """\
name: open
identities: {{count: 20, uid_prefix: arr-}}
load: {{arrival_rate: {rate}/s, run_time: {seconds}s, max_users: {max_users}, max_wait: {max_wait}}}
flows:
  login:
    steps: [login_auth_token, logout]
thresholds:
  arrivals.dropped: "== 0"
"""
STAGES = """\
name: stages
identities: {count: 8, uid_prefix: stg-}
load:
  spawn_rate: 8
  stages:
    - {duration: 2s, users: 0 -> 4}
    - {duration: 2s, users: 4}
    - {duration: 1s, users: 4 -> 1}
flows:
  login:
    steps: [login_auth_token, {pause: 50ms}, logout]
"""


def _env(tmp_path: Path, mock: MockProcess) -> list[str]:
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "m.yaml").write_text(f"name: m\nbackend: mock\nrest_base_url: {mock.base_url}\n")
    return ["--env", "m", "--config-dir", str(tmp_path / "cfg"), "--report-dir", str(tmp_path / "r")]


def _logins(mock: MockProcess) -> int:
    routes = httpx.get(f"{mock.base_url}/_mock/stats").json()["routes"]
    return int(routes.get("me.login", {}).get("requests", 0))


def _observed_rate(samples: list[tuple[float, int]]) -> float:
    """Logins per second the mock saw over the last two seconds of the run (sampled every 20 ms).

    Steady state, away from the start: a worker that starts late (a cold or busy machine) sends
    the arrivals it missed at once, and that catch-up is start delay, not the rate.
    """
    final = samples[-1][1]
    last = next(t for t, n in samples if n == final)

    def count_at(moment: float) -> int:
        return max(n for t, n in samples if t <= moment)

    start, end = last - 2.0, last - 0.2
    return (count_at(end) - count_at(start)) / (end - start)


def test_arrival_rate_matches_the_mock_across_processes(tmp_path: Path) -> None:
    scenario = tmp_path / "open.yaml"
    # Users to spare: a worker that starts late sends its missed arrivals at once (they show as
    # start delay), and this test is about the split of the rate, not about drops.
    scenario.write_text(OPEN.format(rate=100, seconds=4, max_users=200, max_wait=0))
    samples: list[tuple[float, int]] = []
    with MockProcess(MockConfig()) as mock:
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                samples.append((time.monotonic(), _logins(mock)))
                time.sleep(0.02)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            result = run_cli("run", str(scenario), "--processes", "2", *_env(tmp_path, mock))
        finally:
            done.set()
            poller.join()
        observed_total = _logins(mock)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = only_summary(tmp_path / "r")
    arrivals = summary["arrivals"]
    # Both workers' shares add up to the asked rate x time (within 1%), and every arrival started.
    assert abs(arrivals["scheduled"] - 400) <= 4 and arrivals["dropped"] == 0, arrivals
    assert arrivals["stages"][0]["scheduled"] == arrivals["scheduled"]
    workers = summary["workers"]
    assert len(workers) == 2 and all(190 * 2 <= w["requests"] <= 210 * 2 for w in workers.values()), workers
    assert observed_total == summary["steps"]["login_auth_token"]["requests"] == arrivals["started"]
    rate = _observed_rate(samples)
    assert 95 <= rate <= 105, f"mock saw {rate:.1f} logins/s for an asked 100/s"
    # Nobody waited: intended-start and service figures differ by the start delay only.
    service, intended = summary["cycles"]["login"], summary["intended"]["cycles"]["login"]
    delay = arrivals["start_delay_ms"]
    assert intended["requests"] == service["requests"]
    assert 0 <= intended["p50"] - service["p50"] <= delay["p95"] + 1, (intended, service, delay)
    assert delay["p50"] < 20, delay


def _slow_run(tmp_path: Path, max_wait: str) -> tuple[Any, Any]:
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(OPEN.format(rate=20, seconds=3, max_users=2, max_wait=max_wait))
    slow = [{"kind": "latency", "route": "me.login", "distribution": "fixed", "ms": 250, "probability": 1}]
    with MockProcess(MockConfig(faults=slow)) as mock:  # type: ignore[arg-type]
        result = run_cli("run", str(scenario), *_env(tmp_path, mock))
    return result, only_summary(tmp_path / "r")


@pytest.mark.parametrize("max_wait", ["0", "600ms"])
def test_slow_backend_drops_arrivals_and_intended_start_shows_the_wait(tmp_path: Path, max_wait: str) -> None:
    result, summary = _slow_run(tmp_path, max_wait)
    # 2 users at ~250 ms a cycle serve ~8 arrivals/s of the 20/s asked: the rest are dropped,
    # and the verdict fails on `arrivals.dropped == 0`.
    assert result.returncode == 1, result.stderr[-3000:]
    arrivals = summary["arrivals"]
    assert arrivals["scheduled"] == 60 and arrivals["dropped"] > 0, arrivals
    assert arrivals["started"] + arrivals["dropped"] == arrivals["scheduled"]
    (verdict,) = [v for v in summary["thresholds"] if v["threshold"] == "arrivals.dropped"]
    assert not verdict["passed"] and verdict["measured"] == arrivals["dropped"]
    service, intended = summary["steps"]["login_auth_token"], summary["intended"]["steps"]["login_auth_token"]
    assert 250 <= service["p50"] < 400, service  # the backend's latency, whether or not arrivals wait
    if max_wait == "0":  # dropped, never delayed: both figures are the service time
        assert intended["p50"] - service["p50"] < 30, (intended, service)
    else:  # started late after waiting for a free user: the wait shows only from the intended start
        assert intended["p50"] - service["p50"] > 150, (intended, service)
        assert summary["intended"]["cycles"]["login"]["p50"] > summary["cycles"]["login"]["p50"] + 150


def _user_counts(run: Path) -> list[int]:
    with (run / "locust_stats_history.csv").open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"]
    return [int(row["User Count"]) for row in rows]


@pytest.mark.parametrize("processes", [[], ["--processes", "2"]])
def test_closed_stages_ramp_hold_and_ramp_down(tmp_path: Path, processes: list[str]) -> None:
    scenario = tmp_path / "stages.yaml"
    scenario.write_text(STAGES)
    started = time.monotonic()
    result = run_cli("run", str(scenario), *processes, "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert time.monotonic() - started < 40
    counts = _user_counts(only_run(tmp_path / "r"))
    assert max(counts) == 4, counts  # held at the stage's 4, never Locust's -u default (10)
    peak = counts.index(4)
    assert any(0 < n < 4 for n in counts[:peak]), counts  # ramped up, not jumped
    assert counts[-1] < 4 or any(n < 4 for n in counts[peak:]), counts  # ramped down
    summary = only_summary(tmp_path / "r")
    assert summary["steps"]["login_auth_token"]["requests"] > 0
    assert "arrivals" not in summary


def test_web_ui_starts_an_open_model_then_stages(tmp_path: Path) -> None:
    """Each start's scenario decides: arrivals (one scheduler) or stages (the shape), both end
    by themselves and write their summary."""
    from .test_web_ui import _up, free_port, wait_for

    arrivals, stages = tmp_path / "open.yaml", tmp_path / "stages.yaml"
    arrivals.write_text(OPEN.format(rate=30, seconds=2, max_users=10, max_wait=0))
    stages.write_text(STAGES.replace("2s", "1s"))
    port, reports = free_port(), tmp_path / "r"
    command = [sys.executable, "-m", "locust", "-f", "locustfiles/auth_flow.py", "--scenario", str(arrivals)]
    command += [
        "--env",
        "mock",
        "--report-dir",
        str(reports),
        "--web-host",
        "127.0.0.1",
        "--web-port",
        str(port),
    ]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(base), 30)
        for scenario in (arrivals, stages):
            done = len(list(reports.glob("*/summary.json"))) if reports.exists() else 0
            form = {"user_count": "9", "spawn_rate": "9", "scenario": str(scenario), "env": "mock"}
            assert httpx.post(base + "/swarm", data=form).json()["success"]
            wait_for(lambda n=done: len(list(reports.glob("*/summary.json"))) > n, 40)
            wait_for(lambda: httpx.get(base + "/stats/requests").json()["state"] == "stopped", 40)
    finally:
        child.terminate()
        child.communicate(timeout=30)
    summaries = {
        s["scenario"]["name"]: s for s in (json.loads(p.read_text()) for p in reports.glob("*/summary.json"))
    }
    assert summaries["open"]["arrivals"]["scheduled"] == 60, summaries["open"]["arrivals"]
    assert summaries["open"]["arrivals"]["dropped"] == 0
    assert summaries["stages"]["steps"]["login_auth_token"]["requests"] > 0
    assert "arrivals" not in summaries["stages"]
