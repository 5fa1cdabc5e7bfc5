"""Flow checks that any driver must pass: each takes `run(flow)` and returns what it saw.

Shared by the httpx driver (in the test process) and the FastHttpSession driver
(in a child process, because importing Locust monkey-patches the interpreter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authload import BackendError
from authload import protocol as p
from authload.mock import MockConfig
from authload.protocol._steps import Credentials, Identity, VirtualUser

Run = Callable[[p.Exchange[Any]], Any]
CONFIG = MockConfig()
APP = p.App(CONFIG.app_id)
FAULTY_UIDS = {"reset-me": "reset", "garbage-me": "non_json", "slow-me": "latency", "throttle-me": "error"}
FAULTS = [
    {"kind": "reset", "route": "users.get", "path": "*/users/reset-me"},
    {"kind": "non_json", "route": "users.get", "path": "*/users/garbage-me", "status": 502},
    {"kind": "latency", "route": "users.get", "path": "*/users/slow-me", "ms": 3000},
    {
        "kind": "error",
        "route": "users.get",
        "path": "*/users/throttle-me",
        "status": 429,
        "code": "ERR_TOO_MANY_REQUESTS",
    },
]


def _code(run: Run, flow: p.Exchange[Any]) -> str:
    try:
        run(flow)
    except BackendError as error:
        return error.code
    return "ok"


def user_lifecycle(run: Run, tag: str) -> list[str]:
    uid = f"flow-{tag}"
    key = CONFIG.rest_api_key
    return [
        run(p.create_user(APP, key, uid, "Flow")).uid,
        _code(run, p.create_user(APP, key, uid, "Again")),
        run(p.get_user(APP, key, uid)).name,
        _code(run, p.delete_user(APP, key, uid)),
        _code(run, p.get_user(APP, key, uid)),
    ]


def sdk_steps(run: Run, tag: str) -> list[object]:
    virtual_user = VirtualUser(APP, Credentials(CONFIG.rest_api_key, CONFIG.auth_key), lambda: f"vu-{tag}")
    seen: list[object] = []
    for step in (
        "create_user",
        "create_auth_token",
        "session_check",
        "login_auth_token",
        "session_check",
        "login_auth_token",
        "logout",
        "session_check",
        "login_auth_key",
        "logout",
        "delete_user",
    ):
        result = run(virtual_user.step(step))
        seen.append(getattr(result, "uid", result))  # a User as its uid
    virtual_user.begin_cycle(Identity("cometchat-uid-1"))
    seen.append(run(virtual_user.step("login_auth_key")))
    return seen


def auth_errors(run: Run, tag: str) -> list[str]:
    bad_key = p.create_auth_token(APP, "0" * 40, "cometchat-uid-1")
    no_access = p.delete_user(APP, CONFIG.auth_key, "cometchat-uid-2")
    dead_token = p.login_auth_token(APP, "cometchat-uid-1_1630306819c3027ce530b2367f3c97b4106f0cb8")
    return [_code(run, bad_key), _code(run, no_access), _code(run, dead_token)]


def transport_faults(run: Run, tag: str) -> dict[str, str]:
    return {uid: _code(run, p.get_user(APP, CONFIG.rest_api_key, uid)) for uid in FAULTY_UIDS}


def unreachable_code(run: Run) -> str:
    """What a request to a closed loopback port (127.0.0.1:9) becomes."""
    return _code(run, p.get_user(APP, CONFIG.rest_api_key, "anyone"))


CHECKS: dict[str, Callable[[Run, str], Any]] = {
    "user_lifecycle": user_lifecycle,
    "sdk_steps": sdk_steps,
    "auth_errors": auth_errors,
    "transport_faults": transport_faults,
}
EXPECTED: dict[str, Any] = {
    "user_lifecycle": ["flow-{tag}", "ERR_UID_ALREADY_EXISTS", "Flow", "ok", "ERR_UID_NOT_FOUND"],
    # create_user, create_auth_token, session_check (nobody), login, session_check, login again,
    # logout, session_check (nobody), login with the Auth Key, logout, delete_user, Auth Key login
    "sdk_steps": ["vu-{tag}", None, None, None, "vu-{tag}", None, None, None, None, None, None, None],
    "auth_errors": ["AUTH_ERR_APIKEY_NOT_FOUND", "AUTH_ERR_NO_ACCESS", "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"],
    "unreachable": "TRANSPORT_CONNECT",
    "transport_faults": {
        "reset-me": "TRANSPORT_RESET",
        "garbage-me": "PROTOCOL_HTTP_502",
        "slow-me": "TRANSPORT_TIMEOUT",
        "throttle-me": "ERR_TOO_MANY_REQUESTS",
    },
}
