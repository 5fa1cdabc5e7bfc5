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
from authload.protocol._http_step import HttpSpec, Template
from authload.protocol._steps import Credentials, Identity, VirtualUser
from authload.scenario._http import HttpStep

Run = Callable[[p.Exchange[Any]], Any]
CONFIG = MockConfig()
APP = p.App(CONFIG.app_id)
FAULTY_UIDS = {"reset-me": "reset", "garbage-me": "non_json", "slow-me": "latency", "throttle-me": "error"}
APP_HEADERS = {p.wire.H_AUTHORIZATION: p.wire.BEARER + CONFIG.app_secret}
FAULTS = [
    # an answer over the drivers' 1 MiB cap
    {
        "kind": "non_json",
        "route": "users.get",
        "path": "*/users/huge-me",
        "status": 200,
        "body": "x" * ((1 << 20) + 1),
    },
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


def _http(**fields: Any) -> HttpSpec:
    """An http step as a scenario file would give it."""
    return HttpStep.model_validate(fields).spec()


def _rest(path: str, **fields: Any) -> HttpSpec:
    """An http step to the REST host (a scenario gives it as an absolute URL)."""
    return HttpSpec(name="rest", method="GET", host="rest", path=Template.parse(path), **fields)


def app_server(run: Run, tag: str) -> list[object]:
    """The production flow: a token from the app's server, a login with it; a sign-up through it;
    each way an http step fails."""
    credentials = Credentials(CONFIG.rest_api_key, CONFIG.auth_key)
    user = VirtualUser(APP, credentials, lambda: f"app-{tag}", app_headers=APP_HEADERS)
    user.begin_cycle(Identity(f"app-{tag}-0"))  # not a user yet: the app creates it
    capture = {"token": "$.cometchat.authToken", "created": "$.cometchat.created"}
    run(
        user.http(
            _http(name="app_token", method="POST", url="/login", json={"uid": "{uid}"}, capture=capture)
        )
    )
    seen: list[object] = [user.captured["var.created"], user.identity.token is not None]
    run(user.step("login_auth_token"))
    seen.append(user.sdk.get_logged_in_user().uid)  # type: ignore[union-attr]
    run(user.step("logout"))
    signup = _http(name="app_signup", method="POST", url="/login", json={"uid": "{new_uid}"}, capture=capture)
    run(user.http(signup))
    seen += [user.identity.uid, user.captured["var.created"], sorted(user.created)]
    stranger = VirtualUser(
        APP, credentials, lambda: "x", app_headers={p.wire.H_AUTHORIZATION: "Bearer wrong"}
    )
    stranger.begin_cycle(Identity("cometchat-uid-1"))
    seen.append(
        _code(run, stranger.http(_http(name="app_token", method="POST", url="/login", json={"uid": "{uid}"})))
    )
    missing = _http(
        name="missing", method="POST", url="/login", json={"uid": "{uid}"}, capture={"x": "$.nope"}
    )
    seen.append(_code(run, user.http(missing)))
    seen.append(
        _code(run, user.http(_rest("/v3/users/garbage-me", expect_status=502, captures=(("x", ()),))))
    )
    seen.append(_code(run, user.http(_rest("/v3/users/huge-me"))))
    return seen


def unreachable_code(run: Run) -> str:
    """What a request to a closed loopback port (127.0.0.1:9) becomes."""
    return _code(run, p.get_user(APP, CONFIG.rest_api_key, "anyone"))


CHECKS: dict[str, Callable[[Run, str], Any]] = {
    "user_lifecycle": user_lifecycle,
    "sdk_steps": sdk_steps,
    "auth_errors": auth_errors,
    "transport_faults": transport_faults,
    "app_server": app_server,
}
EXPECTED: dict[str, Any] = {
    "user_lifecycle": ["flow-{tag}", "ERR_UID_ALREADY_EXISTS", "Flow", "ok", "ERR_UID_NOT_FOUND"],
    # create_user, create_auth_token, session_check (nobody), login, session_check, login again,
    # logout, session_check (nobody), login with the Auth Key, logout, delete_user, Auth Key login
    "sdk_steps": ["vu-{tag}", None, None, None, "vu-{tag}", None, None, None, None, None, None, None],
    "auth_errors": ["AUTH_ERR_APIKEY_NOT_FOUND", "AUTH_ERR_NO_ACCESS", "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"],
    "unreachable": "TRANSPORT_CONNECT",
    # created, got a token, logged in as it; signed up (new uid, created, kept for cleanup);
    # a wrong app session, a capture that finds nothing, a capture from a page, an answer too long
    "app_server": [
        "true",
        True,
        "app-{tag}-0",
        "app-{tag}",
        "true",
        ["app-{tag}"],
        "HTTP_401",
        "CAPTURE_MISSING",
        "PROTOCOL_NOT_JSON",
        "PROTOCOL_BODY_TOO_LARGE",
    ],
    "transport_faults": {
        "reset-me": "TRANSPORT_RESET",
        "garbage-me": "PROTOCOL_HTTP_502",
        "slow-me": "TRANSPORT_TIMEOUT",
        "throttle-me": "ERR_TOO_MANY_REQUESTS",
    },
}
