"""The production flow (a token from the app's own server, then `login(authToken)`), and counts
the backend agrees with: load + provisioning + cleanup is what the mock received, and Locust's
Aggregated row is summary.json's `http.load`, in a CLI, a `--processes` and a web-UI run."""

from __future__ import annotations

import csv
import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from authload import MockProcess
from authload.mock import MockConfig
from closed_port import port_for_a_server

from .conftest import ROOT, only_run, only_summary, run_cli, scan_for_secrets
from .test_web_ui import wait_for

pytestmark = pytest.mark.e2e
CONFIG = MockConfig()


def test_the_shipped_production_flow_passes_on_the_embedded_mock(tmp_path: Path) -> None:
    result = run_cli("run", "production_flow", "--run-time", "2s", "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr[-3000:]
    summary = only_summary(tmp_path / "r")
    assert summary["verdict"] == "pass"
    assert summary["steps"]["app_token"]["requests"] > 0 and summary["steps"]["app_signup"]["requests"] > 0
    app = summary["http"]["load"]["by_endpoint"]["POST /app/login"]
    assert app["host"] == "app" and app["requests"] == (
        summary["steps"]["app_token"]["requests"] + summary["steps"]["app_signup"]["requests"]
    )
    assert summary["cleanup"]["left"] == []  # the app's sign-ups were deleted by the flow
    assert "verdict: PASS" in result.stdout and "POST /app/login" in result.stdout


class _AppServer(ThreadingHTTPServer):
    """A tiny app server of the tester's own: `POST /api/token {"user"}` with its session creates
    the CometChat user if missing and mints a token over the mock's REST API, as production does."""

    def __init__(self, mock_url: str, secret: str) -> None:
        super().__init__(("127.0.0.1", 0), _AppHandler)
        self.mock_url, self.secret = mock_url, secret
        self.received = self.rest_calls = 0
        self.lock = threading.Lock()
        self.rest = httpx.Client(
            base_url=mock_url, headers={"apiKey": CONFIG.rest_api_key, "appId": CONFIG.app_id}
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def mint(self, uid: str) -> str:
        created = self.rest.post("/v3/users", json={"uid": uid, "name": uid})
        minted = self.rest.post(f"/v3/users/{uid}/auth_tokens", json={"force": True})
        with self.lock:
            self.rest_calls += 2
        assert created.status_code in (200, 400, 409), created.text
        return str(minted.json()["data"]["authToken"])


class _AppHandler(BaseHTTPRequestHandler):
    server: _AppServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        with self.server.lock:
            self.server.received += 1
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") != f"Bearer {self.server.secret}" or self.path != "/api/token":
            self._reply(401, {"error": "who are you?"})
            return
        self._reply(200, {"session": {"cometchatToken": self.server.mint(body["user"])}})

    def _reply(self, status: int, data: dict[str, Any]) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def mock() -> Iterator[MockProcess]:
    with MockProcess(CONFIG) as process:
        yield process


def _totals(mock_url: str) -> int:
    return int(httpx.get(f"{mock_url}/_mock/stats").json()["totals"]["requests"])


OWN_APP = """\
name: own-app
identities: {count: 4, uid_prefix: own-, tokens: from_app}
load: {users: 3, spawn_rate: 3, run_time: 2s}
flows:
  returning:
    steps:
      - http:
          name: my_app_token
          method: POST
          url: /token
          json: {user: "{uid}"}
          capture: {token: $.session.cometchatToken}
      - login_auth_token
      - verify_session
      - logout
thresholds:
  total.error_rate: "< 1%"
"""


def test_your_own_app_server_in_the_loop(mock: MockProcess, tmp_path: Path) -> None:
    secret = "own-app-session-" + secrets.token_urlsafe(12)
    server = _AppServer(mock.base_url, secret)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "s.yaml").write_text(OWN_APP)
        (tmp_path / "cfg").mkdir()
        (tmp_path / "cfg" / "own.yaml").write_text(
            f"name: own\nbackend: mock\nrest_base_url: {mock.base_url}\napp_base_url: {server.url}/api\n"
            'app_headers: {Authorization: "Bearer ${OWN_APP_SESSION}"}\n'
        )
        result = run_cli(
            "run",
            str(tmp_path / "s.yaml"),
            "--env",
            "own",
            "--config-dir",
            str(tmp_path / "cfg"),
            "--report-dir",
            str(tmp_path / "r"),
            env={"OWN_APP_SESSION": secret},
        )
    finally:
        server.shutdown()
        server.server_close()
        server.rest.close()
    assert result.returncode == 0, result.stderr[-3000:]
    summary = only_summary(tmp_path / "r")
    http = summary["http"]
    mine = http["load"]["by_endpoint"]["POST /api/token"]
    assert (
        mine["host"] == "app"
        and mine["requests"] == server.received == summary["steps"]["my_app_token"]["requests"]
    )
    cometchat = sum(
        entry["requests"] for entry in http["load"]["by_endpoint"].values() if entry["host"] != "app"
    )
    # The mock received the load's CometChat requests, provisioning, cleanup and the app server's calls.
    assert (
        _totals(mock.base_url)
        == cometchat + http["provisioning"]["requests"] + http["cleanup"]["requests"] + server.rest_calls
    )
    files = [path for path in only_run(tmp_path / "r").iterdir() if path.is_file()]
    assert scan_for_secrets({"stdout": result.stdout, "stderr": result.stderr}, files, [secret]) == []


COUNTS = """\
name: counts
identities: {count: 6, uid_prefix: cnt-, tokens: from_app}
load: {users: 4, spawn_rate: 4, run_time: 2s}
flows:
  sdk:
    weight: 2
    steps: [create_user, create_auth_token, session_check, login_auth_token, connect_realtime,
            verify_session, logout, delete_user]
  dev:
    steps: [create_user, login_auth_key, logout, delete_user]
  app:
    steps:
      - http: {name: app_token, method: POST, url: /login, json: {uid: "{uid}"},
               capture: {token: $.cometchat.authToken}}
      - login_auth_token
      - logout
thresholds:
  total.error_rate: "< 1%"
"""


def _files(tmp_path: Path, mock_url: str) -> list[str]:
    (tmp_path / "s.yaml").write_text(COUNTS)
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "m.yaml").write_text(f"name: m\nbackend: mock\nrest_base_url: {mock_url}\n")
    return [str(tmp_path / "s.yaml"), "--env", "m", "--config-dir", str(tmp_path / "cfg")]


def _check_counts(summary: dict[str, Any], aggregated: int, mock_url: str) -> None:
    http = summary["http"]
    assert aggregated == http["load"]["requests"] > 0
    endpoints = http["load"]["by_endpoint"]
    assert {"POST /v3.0/users/{uid}/auth_tokens", "PUT /v3.0/me", "WS /", "POST /app/login"} <= set(endpoints)
    assert endpoints["WS /"]["host"] == "client"
    # a step is one run whatever it sends: login_auth_key sends two requests, session_check none
    assert (
        endpoints["POST /v3.0/users/{uid}/auth_tokens"]["requests"]
        == summary["steps"]["login_auth_key"]["requests"]
    )
    assert summary["steps"]["session_check"]["requests"] > 0
    received = _totals(mock_url)
    assert (
        received == http["load"]["requests"] + http["provisioning"]["requests"] + http["cleanup"]["requests"]
    )
    assert http["provisioning"]["requests"] == 6 and http["cleanup"]["requests"] == 6


def _aggregated(run: Path) -> int:
    with (run / "locust_stats.csv").open() as handle:
        return next(
            int(row["Request Count"]) for row in csv.DictReader(handle) if row["Name"] == "Aggregated"
        )


@pytest.mark.parametrize("processes", [[], ["--processes", "2"]])
def test_counts_agree_with_the_backend(mock: MockProcess, tmp_path: Path, processes: list[str]) -> None:
    result = run_cli("run", *_files(tmp_path, mock.base_url), *processes, "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr[-3000:]
    run = only_run(tmp_path / "r")
    _check_counts(json.loads((run / "summary.json").read_text()), _aggregated(run), mock.base_url)


def test_counts_agree_in_the_web_ui(mock: MockProcess, tmp_path: Path) -> None:
    scenario, *env = _files(tmp_path, mock.base_url)
    port, reports = port_for_a_server(), tmp_path / "r"
    command = [sys.executable, "-m", "locust", "-f", "locustfiles/auth_flow.py", "--scenario", scenario, *env]
    command += ["--report-dir", str(reports), "--web-host", "127.0.0.1", "--web-port", str(port)]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(base), 30)
        form = {"user_count": "4", "spawn_rate": "4", "run_time": "2s", "scenario": scenario, "env": "m"}
        assert httpx.post(base + "/swarm", data=form).json()["success"]
        wait_for(lambda: list(reports.glob("*/summary.json")), 40)
        (path,) = reports.glob("*/summary.json")
        wait_for(lambda: "cleanup" in json.loads(path.read_text()), 40)
        stats = httpx.get(base + "/stats/requests").json()
    finally:
        child.terminate()
        child.communicate(timeout=30)
    (aggregated,) = [row["num_requests"] for row in stats["stats"] if row["name"] == "Aggregated"]
    _check_counts(json.loads(path.read_text()), aggregated, mock.base_url)


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
