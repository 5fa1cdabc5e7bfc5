"""Conformance of the mock with the official CometChat JS SDK, run under Node.

`conformance.js` drives `@cometchat/chat-sdk-javascript` (pinned in `package.json`, with the
Node shims in `shims.js`) against a real mock server on a loopback port, and prints one JSON
line per check. This module installs the SDK once into `tests/sdk/node_modules` (`npm ci`,
kept between runs), starts the mock, runs the driver once per module and turns every check
into its own test, then cross-checks the mock's `/_mock/stats` against the requests the
SDK made.

Skips (never fails) when `node`/`npm` are missing or npm cannot reach its registry.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from authload.mock import MockConfig, MockProcess

pytestmark = pytest.mark.sdk

SDK_DIR = Path(__file__).resolve().parent
DRIVER = SDK_DIR / "conformance.js"
NPM_TIMEOUT_S = 180.0
DRIVER_TIMEOUT_S = 40.0
MIN_NODE_MAJOR = 18  # global fetch
NETWORK_ERRORS = re.compile(
    r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|"
    r"network|socket hang up|getaddrinfo|proxy",
    re.IGNORECASE,
)

# Every check conformance.js prints, in order; each becomes one test.
CHECKS: tuple[str, ...] = (
    "init",
    "login_uid_auth_key",
    "get_logged_in_user",
    "websocket_connected",
    "websocket_auth",
    "websocket_ping_pong",
    "analytics_ping",
    "user_sessions",
    "logout",
    "rest_mint_token",
    "login_auth_token",
    "logout_token_session",
    "token_valid_after_logout",
    "logout_token_session_again",
    "rest_delete_token",
    "deleted_token_rejected",
    "bad_auth_key_rejected",
    "unknown_uid_rejected",
    "recovers_after_errors",
    "logout_final",
    "parallel_sdk_instances",
    "wire_envelopes",
    "requests_stay_on_mock",
    "no_unhandled_rejections",
)

WHY: dict[str, str] = {
    "init": "CometChat.init() with overrideAdminHost/overrideClientHost must resolve true with no HTTP",
    "login_uid_auth_key": "login(uid, authKey) = POST users/{uid}/auth_tokens then PUT /me (ref §4.1-4.2)",
    "get_logged_in_user": "getLoggedinUser() must return the logged-in user from local storage, no HTTP",
    "websocket_connected": "settings CHAT_HOST/CHAT_WSS_PORT must lead the SDK WebSocket to the mock (§5)",
    "websocket_auth": 'the WebSocket must answer type:"auth" with body {"code":"200","status":"OK"}',
    "websocket_ping_pong": 'the WebSocket must answer {"action":"ping"} with {"action":"pong"}',
    "analytics_ping": "POST {ANALYTICS_HOST}/{ANALYTICS_VERSION}/ping must answer {data: {}} (§4.7)",
    "user_sessions": "POST /v3.0/user_sessions (5 s after login) must answer {data: {sessionId}} (§4.6)",
    "logout": "logout() = DELETE /me answered with {data}, store cleared, socket closed (§4.3)",
    "rest_mint_token": "REST POST /v3/users/{uid}/auth_tokens with the REST API key must mint a token",
    "login_auth_token": "login(authToken) must be exactly one PUT /me that echoes the token (§4.2)",
    "logout_token_session": "logout() after login(authToken)",
    "token_valid_after_logout": "a token must stay valid after DELETE /me (§4.3 default)",
    "logout_token_session_again": "logout() after the second login(authToken)",
    "rest_delete_token": "REST DELETE /v3/users/{uid}/auth_tokens/{token} must answer {data}",
    "deleted_token_rejected": "PUT /me with a deleted token must answer AUTH_ERR_AUTH_TOKEN_NOT_FOUND (§6)",
    "bad_auth_key_rejected": "an unknown apiKey must answer AUTH_ERR_APIKEY_NOT_FOUND",
    "unknown_uid_rejected": "auth_tokens for an unknown uid must answer ERR_UID_NOT_FOUND",
    "recovers_after_errors": "after the rejections the SDK must still log in (no stuck LOGIN_IN_PROGRESS)",
    "logout_final": "final logout()",
    "parallel_sdk_instances": "5 SDK instances in worker_threads must each init/login/getLoggedinUser/logout",
    "wire_envelopes": 'every SDK request must get a JSON {"data"} or {"error"} envelope (§3)',
    "requests_stay_on_mock": "settings hosts must keep every SDK request on the mock's host:port (§1)",
    "no_unhandled_rejections": "the SDK must not hit an unhandled rejection (§4.5, §4.6)",
}


@dataclass
class DriverRun:
    """What one run of conformance.js produced, plus the mock's stats afterwards."""

    returncode: int
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    traffic: dict[str, Any] = field(default_factory=dict)
    done: dict[str, Any] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    leaked_key: bool = False

    def tail(self) -> str:
        return f"exit={self.returncode}\nstderr:\n{self.stderr[-2000:]}\nstdout:\n{self.stdout[-2000:]}"


# ---------------------------------------------------------------- npm install (cached)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"node/npm not found: `{name}` is not on PATH (needed for the official SDK check)")
    return path


def _installed_version(package: str) -> str | None:
    manifest = SDK_DIR / "node_modules" / package / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def _install_is_current() -> bool:
    pins: dict[str, str] = json.loads((SDK_DIR / "package.json").read_text())["dependencies"]
    return all(_installed_version(name) == version for name, version in pins.items())


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    with open(SDK_DIR / "node_modules.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _npm_install(npm: str) -> None:
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        done = subprocess.run(
            command, cwd=SDK_DIR, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install failed: `npm ci` took over {NPM_TIMEOUT_S:.0f} s (no network?)")
    if done.returncode == 0:
        return
    output = done.stderr + done.stdout
    if NETWORK_ERRORS.search(output):
        pytest.skip(f"npm install failed for lack of network (registry unreachable):\n{output[:1500]}")
    pytest.fail(f"`npm ci` failed in {SDK_DIR} (exit {done.returncode}):\n{output[-1500:]}")


def _check_node_version(node_path: str) -> None:
    version = subprocess.run([node_path, "--version"], capture_output=True, text=True, timeout=10).stdout
    match = re.match(r"v(\d+)\.", version.strip())
    if match is None or int(match.group(1)) < MIN_NODE_MAJOR:
        pytest.skip(f"node/npm not found: need node >= {MIN_NODE_MAJOR}, `node --version` says {version!r}")


@pytest.fixture(scope="module")
def node() -> str:
    """Path to `node`, with the SDK installed in tests/sdk/node_modules (once, cached)."""
    node_path = _tool("node")
    npm = _tool("npm")
    _check_node_version(node_path)
    with _install_lock():
        if not _install_is_current():
            _npm_install(npm)
    if not _install_is_current():
        pytest.fail(f"`npm ci` ran but node_modules does not match {SDK_DIR / 'package.json'}")
    return node_path


# ---------------------------------------------------------------- mock + driver


@pytest.fixture(scope="module")
def mock_server() -> Iterator[tuple[str, MockConfig]]:
    """A real mock on 127.0.0.1, port 0: yields (base_url, config)."""
    config = MockConfig()
    with MockProcess(config, host="127.0.0.1", port=0) as process:
        yield str(process.base_url).rstrip("/"), config


def _parse_output(run: DriverRun) -> None:
    for line in run.stdout.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if "check" in item:
            run.checks[item["check"]] = item
        elif "traffic" in item:
            run.traffic = item["traffic"]
        elif item.get("done"):
            run.done = item


def _run_driver(node_path: str, base_url: str, config: MockConfig) -> DriverRun:
    env = dict(os.environ)
    env.update(AUTHLOAD_AUTH_KEY=config.auth_key, AUTHLOAD_REST_API_KEY=config.rest_api_key)
    command = [node_path, str(DRIVER), "--base-url", base_url, "--app-id", config.app_id]
    command += ["--region", config.region, "--total-timeout-ms", str(int((DRIVER_TIMEOUT_S - 5) * 1000))]
    try:
        done = subprocess.run(
            command,
            cwd=SDK_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=DRIVER_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        run = DriverRun(returncode=-1, stdout=out, stderr=f"killed after {DRIVER_TIMEOUT_S} s")
    else:
        run = DriverRun(returncode=done.returncode, stdout=done.stdout, stderr=done.stderr)
    _parse_output(run)
    return run


@pytest.fixture(scope="module")
def sdk_run(node: str, mock_server: tuple[str, MockConfig]) -> DriverRun:
    """One run of conformance.js against the mock, and the mock's stats afterwards."""
    base_url, config = mock_server
    run = _run_driver(node, base_url, config)
    run.leaked_key = any(key in run.stdout + run.stderr for key in (config.auth_key, config.rest_api_key))
    run.stats = httpx.get(f"{base_url}/_mock/stats", timeout=5.0).json()
    return run


# ---------------------------------------------------------------- tests


def test_driver_finished(sdk_run: DriverRun) -> None:
    assert sdk_run.done is not None, f"conformance.js did not finish:\n{sdk_run.tail()}"
    assert sdk_run.returncode in (0, 1), f"conformance.js crashed or timed out:\n{sdk_run.tail()}"
    extra = set(sdk_run.checks) - set(CHECKS)
    assert not extra, f"conformance.js printed checks this test does not know: {sorted(extra)}"
    assert not sdk_run.leaked_key, "conformance.js printed the Auth Key or the REST API key"


@pytest.mark.parametrize("check", CHECKS)
def test_sdk_check(sdk_run: DriverRun, check: str) -> None:
    result = sdk_run.checks.get(check)
    assert result is not None, f"conformance.js printed no result for {check!r}:\n{sdk_run.tail()}"
    detail = json.dumps(result.get("detail"), indent=1)[:3000]
    assert result["ok"] is True, f"{check}: {WHY[check]}\ndetail: {detail}"


def _sdk_count(run: DriverRun, request: str) -> int:
    """How many times the SDK (main thread and every worker) sent `request`, e.g. 'PUT /v3.0/me'."""
    per_thread = [run.traffic.get("main", {}), *run.traffic.get("workers", [])]
    return sum(int(counts.get(request, 0)) for counts in per_thread)


def _ws_sum(run: DriverRun, key: str) -> int:
    sockets = run.traffic.get("websocket", {})
    per_thread = [sockets.get("main", {}), *sockets.get("workers", [])]
    return sum(int(counts.get(key, 0)) for counts in per_thread)


def _route(run: DriverRun, name: str) -> dict[str, Any]:
    route: dict[str, Any] = run.stats.get("routes", {}).get(name, {})
    return route


# (mock route name in /_mock/stats, request as the SDK's fetch shim records it, extra REST calls)
SDK_ROUTES: tuple[tuple[str, str, int], ...] = (
    ("me.login", "PUT /v3.0/me", 0),
    ("me.logout", "DELETE /v3.0/me", 0),
    ("tokens.create", "POST /v3.0/users/{uid}/auth_tokens", 1),  # + the REST mint in rest_mint_token
    ("user_sessions.create", "POST /v3.0/user_sessions", 0),
    ("analytics.ping", "POST /v1/ping", 0),
    ("settings.get", "GET /v3.0/settings", 0),  # 0: PUT /me embeds `settings` (ref §4.5)
    ("me.get", "GET /v3.0/me", 0),  # 0: only after an analytics ERR_NO_AUTH (ref §4.8)
)


@pytest.mark.parametrize(("route", "request_line", "rest_calls"), SDK_ROUTES, ids=[r[0] for r in SDK_ROUTES])
def test_mock_stats_match_sdk_requests(
    sdk_run: DriverRun, route: str, request_line: str, rest_calls: int
) -> None:
    sent = _sdk_count(sdk_run, request_line) + rest_calls
    counted = _route(sdk_run, route).get("requests", 0)
    assert counted == sent, (
        f"/_mock/stats routes.{route}.requests = {counted}, but the SDK sent {request_line} "
        f"{sent - rest_calls} times (+{rest_calls} REST); stats: {_route(sdk_run, route)}"
    )


@pytest.mark.parametrize(
    ("route", "code", "expected"),
    [
        ("me.login", "AUTH_ERR_AUTH_TOKEN_NOT_FOUND", 1),
        ("tokens.create", "AUTH_ERR_APIKEY_NOT_FOUND", 1),
        ("tokens.create", "ERR_UID_NOT_FOUND", 1),
    ],
)
def test_mock_stats_count_rejections(sdk_run: DriverRun, route: str, code: str, expected: int) -> None:
    codes = _route(sdk_run, route).get("codes", {})
    assert codes.get(code, 0) == expected, f"routes.{route}.codes should hold {code}: {expected}; got {codes}"


def test_mock_stats_websocket(sdk_run: DriverRun) -> None:
    ws = sdk_run.stats.get("websocket", {})
    seen_ok, sent_auth = _ws_sum(sdk_run, "authReplies200"), _ws_sum(sdk_run, "authFramesSent")
    assert seen_ok >= 1 + 5, (
        f"the SDK saw only {seen_ok} auth replies with code 200; traffic: {sdk_run.traffic}"
    )
    # Fast login/logout races (ref §8.7) make exact counts vary; the bounds do not.
    assert seen_ok <= ws.get("auth_ok", 0) <= sent_auth, (
        f"websocket stats {ws}; SDK saw {seen_ok} of {sent_auth}"
    )
    assert ws.get("auth_failed", 0) == 0, f"the mock refused an SDK auth frame: {ws}"
    assert ws.get("pings", 0) >= _ws_sum(sdk_run, "pingsSent"), f"websocket stats {ws}"
    assert 1 <= ws.get("connections", 0) <= _ws_sum(sdk_run, "sockets"), f"websocket stats {ws}"


def test_mock_stats_no_open_sessions(sdk_run: DriverRun) -> None:
    store = sdk_run.stats.get("store", {})
    assert store.get("open_sessions") == 0, f"every SDK session was logged out, yet the mock holds {store}"
