"""End-to-end: a run without thresholds still fails when the backend fails most requests."""

from __future__ import annotations

from pathlib import Path

from .conftest import only_summary, run_cli

SCENARIO = """\
name: unguarded
identities: {count: 2, uid_prefix: guard-}
load: {users: 2, spawn_rate: 2, run_time: 1s}
flows:
  dev:
    steps: [login_auth_key, logout]
"""
FAILING_MOCK = """\
name: failing
backend: mock
mock:
  faults:
    - {kind: error, route: me.login, probability: 1, status: 500, code: ERR_OPERATION_FAILED}
"""


def test_default_guard_fails_a_run_whose_backend_fails(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "failing.yaml").write_text(FAILING_MOCK)
    scenario = tmp_path / "unguarded.yaml"
    scenario.write_text(SCENARIO)
    command = ("run", str(scenario), "--env", "failing", "--config-dir", str(tmp_path / "cfg"))
    result = run_cli(*command, "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 1, result.stderr[-3000:]
    summary = only_summary(tmp_path / "r")
    assert summary["verdict"] == "fail"
    guard, correct, stalled = summary["thresholds"]
    assert (
        guard["threshold"] == "total.error_rate" and not guard["passed"] and "default guard" in guard["note"]
    )
    assert correct["threshold"] == "total.correctness_failures" and correct["passed"]
    assert stalled["threshold"] == "total.stalled_s" and "default guard" in stalled["note"]
    assert "(default guard)" in result.stdout and "verdict: FAIL" in result.stdout
