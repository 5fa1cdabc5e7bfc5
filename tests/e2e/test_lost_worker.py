"""`kill -9` of one worker of a `--processes 2` run: the run ends promptly, says which worker
was lost and when, is `incomplete` (exit 3), and prints no traceback storm."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import QUICK, ROOT, only_summary

pytestmark = pytest.mark.e2e


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                    found.append(int(entry.name))
            except (OSError, IndexError):
                pass
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _workers(child: subprocess.Popen[str]) -> list[int]:
    """The Locust master (the CLI's child) and the workers it forked (same command line)."""
    masters = [pid for pid in _children(child.pid) if b"locust" in _cmdline(pid)]
    if not masters:
        return []
    return [pid for pid in _children(masters[0]) if _cmdline(pid) == _cmdline(masters[0])]


def _load_is_on(report_dir: Path) -> bool:
    """Locust's CSV (written every second) counts requests: the workers are loading."""
    for csv in report_dir.glob("*/locust_stats.csv"):
        for line in csv.read_text().splitlines()[1:]:
            if line.startswith(",Aggregated,") and int(line.split(",")[2]) > 0:
                return True
    return False


def test_kill_9_of_a_worker_ends_the_run_incomplete(tmp_path: Path) -> None:
    scenario = tmp_path / "long.yaml"
    scenario.write_text(QUICK.replace("run_time: 2s", "run_time: 60s"))
    reports = tmp_path / "r"
    child = subprocess.Popen(
        [sys.executable, "-m", "authload", "run", str(scenario), "--processes", "2"]
        + ["--report-dir", str(reports)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 40
        while time.time() < deadline and not (_load_is_on(reports) and len(_workers(child)) == 2):
            time.sleep(0.2)
        workers = _workers(child)
        assert len(workers) == 2 and _load_is_on(reports), "the run never got going"
        killed_at = time.time()
        os.kill(workers[0], signal.SIGKILL)
        out, err = child.communicate(timeout=40)
        took = time.time() - killed_at
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 3, err[-3000:]
    assert took < 30, took
    summary = only_summary(reports)
    assert summary["status"] == "incomplete" and summary["verdict"] == "fail", json.dumps(summary)[:2000]
    (lost,) = summary["lost_workers"]
    assert lost["id"] in summary["error"] and lost["at"].startswith(time.strftime("%Y-%m-%d", time.gmtime()))
    assert summary["total"]["requests"] > 0
    assert err.count("Traceback") <= 2, err[-3000:]
    assert "was lost" in err
