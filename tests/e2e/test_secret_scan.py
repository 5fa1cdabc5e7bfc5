"""No secret in anything a run writes, whatever fails.

Recognisable keys are seeded (not hex, so only exact-value masking can catch
them), every kind of failure is forced (API errors whose messages quote the
token, non-JSON answers, resets, timeouts, rate limits, provisioning errors),
in a `--processes` run, and then every byte the run printed or wrote is searched
for the keys and for anything shaped like a minted auth token.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli, scan_for_secrets

pytestmark = pytest.mark.e2e

REST_KEY = "SEEDEDrestKEYnotHEX0123456789zzzzzzzzzzz"
AUTH_KEY = "SEEDEDauthKEYnotHEX0123456789yyyyyyyyyyy"
HOSTILE = f"""\
name: hostile
backend: mock
timeout: 0.3
mock:
  rest_api_key: {REST_KEY}
  auth_key: {AUTH_KEY}
  seed: 3
  revoke_token_on_logout: true
  rate_limits: {{enabled: true, combined_per_minute: 600, window_seconds: 1}}
  faults:
    - {{kind: error, route: users.create, probability: 0.1, status: 500, code: ERR_OPERATION_FAILED}}
    - {{kind: non_json, route: tokens.create, probability: 0.1, status: 502}}
    - {{kind: reset, route: me.login, probability: 0.1}}
    - {{kind: latency, route: me.logout, distribution: fixed, ms: 600, probability: 0.1}}
    - {{kind: slow_body, route: "*", probability: 0.05}}
"""
SCENARIO = """\
name: every-failure
identities: {count: 20, uid_prefix: scan-, concurrency: 8}
load: {users: 6, spawn_rate: 6, run_time: 3s}
flows:
  again:
    weight: 2
    steps: [login_auth_token, logout, login_auth_token]
  signup:
    steps: [create_user, create_auth_token, login_auth_token, logout, delete_user]
  dev:
    steps: [login_auth_key, logout]
"""


def test_no_secret_or_token_in_any_output(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "hostile.yaml").write_text(HOSTILE)
    (tmp_path / "every.yaml").write_text(SCENARIO)
    reports = tmp_path / "r"
    result = run_cli(
        "run",
        str(tmp_path / "every.yaml"),
        "--env",
        "hostile",
        "--config-dir",
        str(tmp_path / "cfg"),
        "--report-dir",
        str(reports),
        "--processes",
        "2",
        "--allow-auth-key",
    )
    assert result.returncode in (1, 3), result.stderr[-3000:]  # failures were forced
    written = [path for path in reports.rglob("*") if path.is_file()]
    assert any(path.name == "locust_failures.csv" for path in written)
    assert "AUTH_ERR_AUTH_TOKEN_NOT_FOUND" in (result.stdout + result.stderr), (
        "a token-quoting error occurred"
    )
    hits = scan_for_secrets(
        {"stdout": result.stdout, "stderr": result.stderr}, written, secrets=(REST_KEY, AUTH_KEY)
    )
    assert hits == [], hits


def test_the_scan_finds_what_it_looks_for(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The scan itself can fail: a planted key and a planted token are both found (planted
    outside this test's own folder, which the suite-wide scan reads)."""
    planted = tmp_path_factory.mktemp("planted") / "planted.txt"
    planted.write_text(f"x {REST_KEY} y cometchat-uid-1_1700000000{'a' * 30} z")
    hits = scan_for_secrets({}, [planted], secrets=(REST_KEY,))
    assert len(hits) == 2, hits
