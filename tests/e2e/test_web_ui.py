"""Locust's web UI with the authload locustfile: the form's scenario and env drive each run,
and each start is a run of its own with its own summary."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from closed_port import port_for_a_server

from .conftest import QUICK, ROOT

pytestmark = pytest.mark.e2e


def free_port() -> int:
    return port_for_a_server()


def wait_for(predicate: object, seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_web_ui_runs_the_form_scenario(tmp_path: Path) -> None:
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text(QUICK)
    second.write_text(QUICK.replace("name: quick", "name: second"))
    port = free_port()
    reports = tmp_path / "r"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        "locustfiles/auth_flow.py",
        "--scenario",
        str(first),
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
        page = httpx.get(base + "/").text
        assert '"scenario"' in page and '"env"' in page  # custom arguments in the start form
        for scenario in (first, second):
            done = len(list(reports.glob("*/summary.json"))) if reports.exists() else 0
            form = {
                "user_count": "2",
                "spawn_rate": "2",
                "run_time": "2s",
                "scenario": str(scenario),
                "env": "mock",
            }
            assert httpx.post(base + "/swarm", data=form).json()["success"]
            wait_for(lambda n=done: len(list(reports.glob("*/summary.json"))) > n, 40)
            wait_for(lambda: httpx.get(base + "/stats/requests").json()["state"] == "stopped", 40)
    finally:
        child.terminate()
        child.communicate(timeout=30)
    summaries = [json.loads(p.read_text()) for p in reports.glob("*/summary.json")]
    assert sorted(s["scenario"]["name"] for s in summaries) == ["quick", "second"]
    assert all(s["total"]["requests"] > 0 and s["status"] == "completed" for s in summaries)


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
