"""`authload run`, `authload validate` and `locust -f` as a user runs them."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from authload import MockConfig, builtin
from closed_port import closed_port

from .conftest import QUICK, ROOT, only_run, run_cli

pytestmark = pytest.mark.e2e
SECRETS = (MockConfig().rest_api_key, MockConfig().auth_key)


TOKEN_SHAPE = re.compile(r"_\d{10}[0-9a-f]{30}")  # CometChat auth tokens: {uid}_{seconds}{30 hex}


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text
        assert not TOKEN_SHAPE.search(text), TOKEN_SHAPE.search(text)


def test_run_passes_and_reports_every_step(quick_scenario: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    result = run_cli("run", str(quick_scenario), "--report-dir", str(reports))
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = only_run(reports)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["verdict"] == "pass" and summary["status"] == "completed"
    expected_steps = {
        "session_check",
        "login_auth_token",
        "logout",
        "create_user",
        "create_auth_token",
        "delete_user",
        "login_auth_key",
    }
    assert set(summary["steps"]) == expected_steps
    for name, figures in summary["steps"].items():
        assert figures["requests"] > 0, name
        assert figures["p50"] <= figures["p95"] <= figures["p99"] <= figures["max"]
    assert set(summary["cycles"]) == {"returning", "signup", "dev"}
    on_the_wire = [f["requests"] for name, f in summary["steps"].items() if name != "session_check"]
    assert summary["total"]["requests"] == sum(on_the_wire)
    # Locust's own CSV counts what reached the backend: a row per HTTP request of a step (type: its
    # method; a step that sends two has a row for each), and its Aggregated row is summary.json's
    # `http.load` (no cycles, no session_check, which sends nothing).
    with (run_dir / "locust_stats.csv").open() as handle:
        rows = {(row["Type"], row["Name"]): row for row in csv.DictReader(handle)}
    assert set(rows) == {
        ("PUT", "login_auth_token"),
        ("DELETE", "logout"),
        ("POST", "create_user"),
        ("POST", "create_auth_token"),
        ("DELETE", "delete_user"),
        ("POST", "login_auth_key [mint]"),
        ("PUT", "login_auth_key [session]"),
        ("", "Aggregated"),
    }
    steps = summary["steps"]
    for (_, name), row in rows.items():
        if name in steps:  # one request per run of the step
            assert int(row["Request Count"]) == steps[name]["requests"], name
            assert int(row["Failure Count"]) == steps[name]["failures"], name
    mint, session = rows[("POST", "login_auth_key [mint]")], rows[("PUT", "login_auth_key [session]")]
    assert int(mint["Request Count"]) == steps["login_auth_key"]["requests"]
    assert int(session["Request Count"]) == steps["login_auth_key"]["requests"] - int(mint["Failure Count"])
    http = summary["http"]["load"]
    assert int(rows[("", "Aggregated")]["Request Count"]) == http["requests"]
    assert int(rows[("", "Aggregated")]["Failure Count"]) == http["failures"]
    assert http["requests"] == sum(entry["requests"] for entry in http["by_endpoint"].values())
    assert http["requests"] == summary["total"]["requests"] + int(session["Request Count"])
    assert http["by_endpoint"]["PUT /v3.0/me"] == {**http["by_endpoint"]["PUT /v3.0/me"], "host": "client"}
    assert summary["http"]["provisioning"]["requests"] >= 11  # 6 users created, 11 tokens minted
    assert (run_dir / "report.html").stat().st_size > 1000
    assert summary["files"] == {
        "summary": "summary.json",
        "junit": "junit.xml",
        "markdown": "summary.md",
        "html": "report.html",
        "locust_csv": "locust_stats.csv",
        "report": "authload.html",
    }
    assert all((run_dir / name).exists() for name in summary["files"].values())
    assert (run_dir / "junit.xml").exists()
    assert "login_auth_token" in result.stdout and "verdict: PASS" in result.stdout
    # The console's table counts the same: every step, cycle and the total, requests and failures.
    console = _console_counts(result.stdout)
    for name, figures in summary["steps"].items():
        assert console[("step", name)] == (figures["requests"], figures["failures"]), name
    for name, figures in summary["cycles"].items():
        assert console[("cycle", name)] == (figures["requests"], figures["failures"]), name
    assert console[("total", "steps on the wire")] == (
        summary["total"]["requests"],
        summary["total"]["failures"],
    )
    assert re.search(
        rf"^HTTP requests \(load\)\s+{http['requests']}\s+{http['failures']}\s*$", result.stdout, re.M
    )
    assert_no_secrets(result.stdout, result.stderr, *(p.read_text() for p in run_dir.iterdir()))


def _console_counts(stdout: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(type, name) -> (requests, failures) from the console table authload prints."""
    counts = {}
    for line in stdout.splitlines():
        match = re.match(r"^(step|cycle|total)\s+(.+?)\s+(\d+)\s+(\d+)\s+[\d.]+\s", line)
        if match:
            counts[(match[1], match[2])] = (int(match[3]), int(match[4]))
    return counts


def test_failures_leak_no_token(tmp_path: Path) -> None:
    """Tokens revoked on logout make later logins fail; the server's message quotes the token."""
    scenario = tmp_path / "dead.yaml"
    scenario.write_text(
        "name: dead\nidentities: {count: 3, uid_prefix: dead-}\n"
        "load: {users: 3, spawn_rate: 3, run_time: 2s}\n"
        "flows:\n  again:\n    steps: [login_auth_token, logout, login_auth_token]\n"
        "thresholds: {}\n"  # no rules, not even the default guard: failures are the point here
    )
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "revoking.yaml").write_text(
        "name: revoking\nbackend: mock\nmock: {revoke_token_on_logout: true}\n"
    )
    result = run_cli(
        "run",
        str(scenario),
        "--env",
        "revoking",
        "--config-dir",
        str(tmp_path / "cfg"),
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert result.returncode == 0, result.stderr[-2000:]  # thresholds: {}, so it passes
    run_dir = only_run(tmp_path / "r")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"]["login_auth_token"]["errors_by_code"]["AUTH_ERR_AUTH_TOKEN_NOT_FOUND"] > 0
    assert_no_secrets(result.stdout, result.stderr, *(p.read_text() for p in run_dir.iterdir()))


def test_impossible_threshold_exits_1(tmp_path: Path) -> None:
    scenario = tmp_path / "strict.yaml"
    scenario.write_text(QUICK.replace('"< 2s"', '"< 0.001ms"'))
    result = run_cli("run", str(scenario), "--report-dir", str(tmp_path / "r"), "--run-time", "1s")
    assert result.returncode == 1, result.stderr[-3000:]
    summary = json.loads((only_run(tmp_path / "r") / "summary.json").read_text())
    assert summary["verdict"] == "fail"
    assert [t["passed"] for t in summary["thresholds"]] == [False, True]


def test_broken_scenario_exits_2_naming_the_line(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.yaml"
    scenario.write_text(QUICK.replace("login_auth_key, logout", "login_auth_kee, logout"))
    result = run_cli("run", str(scenario), "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 2
    assert f"{scenario}:13: flows.dev.steps[1]: unknown step 'login_auth_kee'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("env_file", "environ", "message"),
    [
        (
            "backend: cometchat\napp_id: ${E2E_APP}\nrest_api_key: ${E2E_KEY}\n",
            {"E2E_APP": "a"},
            "rest_api_key: environment variable E2E_KEY is not set",
        ),
        (
            "backend: cometchat\nproduction: true\napp_id: a\nrest_api_key: k\nauth_key: k2\n",
            {},
            "logs in with the Auth Key",
        ),
        ("backend: cometchat\nregoin: us\n", {}, "regoin: unknown field 'regoin'"),
    ],
)
def test_environment_errors_exit_2(
    quick_scenario: Path, tmp_path: Path, env_file: str, environ: dict[str, str], message: str
) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "target.yaml").write_text("name: target\n" + env_file)
    result = run_cli(
        "run", str(quick_scenario), "--env", "target", "--config-dir", str(tmp_path / "cfg"), env=environ
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--users", "0"], "--users must be at least 1"),
        (["--users", "-3"], "--users must be at least 1"),
        (["--spawn-rate", "0"], "--spawn-rate must be more than 0"),
        (["--run-time", "0"], "--run-time must be longer than 0s"),
        (["--run-time", "soon"], "--run-time: 'soon' is not a duration"),
    ],
)
def test_bad_options_exit_2(quick_scenario: Path, option: list[str], message: str) -> None:
    result = run_cli("run", str(quick_scenario), *option)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_unreachable_backend_exits_3(quick_scenario: Path, tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    with closed_port() as port:
        (tmp_path / "cfg" / "down.yaml").write_text(
            "name: down\nbackend: cometchat\napp_id: a\n"
            "rest_api_key: not-a-real-key\nauth_key: also-not-real\n"
            f"rest_base_url: http://127.0.0.1:{port}\ntimeout: 2\n"
        )
        result = run_cli(
            "run",
            str(quick_scenario),
            "--env",
            "down",
            "--config-dir",
            str(tmp_path / "cfg"),
            "--report-dir",
            str(tmp_path / "r"),
        )
    assert result.returncode == 3, result.stderr[-3000:]
    summary = json.loads((only_run(tmp_path / "r") / "summary.json").read_text())
    assert summary["status"] == "error" and "TRANSPORT_CONNECT" in summary["error"]


def test_locust_command_line_performs_the_same_run(quick_scenario: Path, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        "locustfiles/auth_flow.py",
        "--scenario",
        str(quick_scenario),
        "--env",
        "mock",
        "--headless",
        "--report-dir",
        str(tmp_path / "r"),
        "--csv",
        str(tmp_path / "locust"),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((only_run(tmp_path / "r") / "summary.json").read_text())
    assert summary["verdict"] == "pass"
    assert all(figures["requests"] > 0 for figures in summary["steps"].values())
    assert summary["duration_s"] < 10  # the scenario's own run_time (2s) applied


def test_locust_parser_and_web_ui_list_authload_options() -> None:
    """Locust 2.47 prints `--help` before it loads the locustfile, so ask its parser directly."""
    code = (
        "import json, locust.argument_parser as a, locustfiles.auth_flow; "
        "print(json.dumps([a.get_parser().format_help(), sorted(a.ui_extra_args_dict([]))]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    help_text, web_ui_args = json.loads(result.stdout)
    for option in ("--scenario", "--env", "--config-dir", "--report-dir", "--run-id", "--allow-auth-key"):
        assert option in help_text
    assert {"scenario", "env", "allow_auth_key"} <= set(web_ui_args)


def test_validate(tmp_path: Path) -> None:
    ok = run_cli("validate", "smoke", "--env", "mock")  # names: the built-in scenario and environment
    assert ok.returncode == 0, ok.stderr
    assert "scenario 'smoke'" in ok.stdout
    production = str(builtin.CONFIG / "production.yaml")
    template = run_cli("validate", production)  # a template: unset ${VAR}s are fine
    assert template.returncode == 0 and "environment 'production'" in template.stdout, template.stderr
    # Checked together, the smoke scenario's Auth Key logins need a key production lacks.
    paired = run_cli("validate", "smoke", production)
    assert paired.returncode == 2 and "needs the Auth Key" in paired.stderr, paired.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nflows: {}\n")
    result = run_cli("validate", str(bad))
    assert result.returncode == 2 and f"{bad}:2: flows:" in result.stderr


def test_mock_command_prints_url_and_keys_and_takes_faults() -> None:
    config = MockConfig()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "authload",
            "mock",
            "--port",
            "0",
            "--seed",
            "5",
            "--fault",
            "error:me.login,probability=1,status=503,code=ERR_OPERATION_FAILED",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        base_url = first.split()[-1]
        rest = [child.stdout.readline() for _ in range(3)]
        assert base_url.startswith("http://127.0.0.1:")
        assert config.app_id in rest[0] and config.rest_api_key in rest[1] and config.auth_key in rest[2]
        import httpx

        from authload import protocol as p

        request = next(
            p.login_auth_token(p.App(config.app_id), "nobody_1630306819c3027ce530b2367f3c97b4106f0cb8")
        )
        reply = httpx.request(
            request.method, base_url + request.path, headers=dict(request.headers), content=request.body
        )
        assert reply.status_code == 503 and reply.json()["error"]["code"] == "ERR_OPERATION_FAILED"
    finally:
        child.terminate()
        child.communicate(timeout=10)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("explode:me.login", "unknown fault kind 'explode'; known kinds: latency"),
        ("error:me.login,probability", "expected key=value"),
    ],
)
def test_mock_command_rejects_bad_faults(spec: str, message: str) -> None:
    result = run_cli("mock", "--fault", spec)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
