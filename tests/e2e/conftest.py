"""End-to-end: `authload` and `locust` as subprocesses, against the embedded mock on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICK = """\
name: quick
identities: {count: 6, uid_prefix: e2e-, include_sample_users: true}
load: {users: 4, spawn_rate: 4, run_time: 2s}
flows:
  returning:
    weight: 3
    steps: [session_check, login_auth_token, session_check, logout]
  signup:
    weight: 1
    steps: [create_user, create_auth_token, login_auth_token, logout, delete_user]
  dev:
    weight: 1
    steps: [login_auth_key, logout]
thresholds:
  login_auth_token.p95: "< 2s"
  total.error_rate: "< 1%"
"""


def run_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "authload", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def only_run(report_dir: Path) -> Path:
    """The one run folder a test's report dir holds."""
    (run,) = [path for path in report_dir.iterdir() if path.is_dir()]
    return run


def only_summary(report_dir: Path) -> Any:
    """That run's summary.json, parsed."""
    return json.loads((only_run(report_dir) / "summary.json").read_text())


@pytest.fixture
def quick_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "quick.yaml"
    path.write_text(QUICK)
    return path
