"""`http` steps: what loads, what each mistake says (file:line, field), and what goes on the wire."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from authload import ConfigError, MissingSecretError, load_scenario
from authload.protocol import App, Response
from authload.protocol._http_step import Template, build_request, find, http_exchange, parse_json_path
from authload.protocol._steps import Credentials, Identity, VirtualUser
from authload.scenario import check_file, load_run_files

GOOD = """\
name: app
identities: {count: 3, tokens: from_app}
flows:
  returning:
    steps:
      - http:
          name: app_token
          method: post
          url: /chat/token?who={uid}
          headers: {Authorization: "Bearer ${APP_SESSION}"}
          json: {uid: "{uid}", nested: ["{uid}", 1, true]}
          expect_status: 200
          capture: {token: "$.cometchat.authToken", session: "$.session"}
      - login_auth_token
      - http:
          name: app_profile
          url: /profile/{var.session}
      - logout
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert "Traceback" not in str(caught.value)
    return str(caught.value)


def test_an_http_step_loads_with_its_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SESSION", "s3cr3t-session")
    scenario = load_scenario(write(tmp_path, GOOD))
    step = scenario.flows["returning"].steps[0]
    assert step.name == "app_token" and step.http is not None
    assert step.http.method == "POST"
    assert step.http.headers == {"Authorization": "Bearer s3cr3t-session"}
    assert scenario.secrets == ("s3cr3t-session",)
    assert {"app_token", "app_profile"} <= scenario.step_names()
    # what a worker receives: the same scenario, from its dumped form
    again = type(scenario).model_validate(scenario.model_dump(mode="json"))
    assert again.flows == scenario.flows


def test_an_unset_variable_names_the_line_and_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APP_SESSION", raising=False)
    path = write(tmp_path, GOOD)
    with pytest.raises(MissingSecretError) as caught:
        load_scenario(path)
    assert f"{path}:10:" in str(caught.value) and "APP_SESSION" in str(caught.value)
    assert "app" == check_file(path).name  # `authload validate` stands in for unset variables


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        ("url: /chat/token?who={uid}", 9, "unknown placeholder {user}"),
        ('json: {uid: "{uid}"', 11, "unknown placeholder {user}"),
        ("url: /profile/{var.session}", 17, "unknown placeholder {user}"),
    ],
)
def test_unknown_placeholders_are_refused_at_their_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, line: int, words: str
) -> None:
    monkeypatch.setenv("APP_SESSION", "x" * 8)
    broken = change.replace("{uid}", "{user}").replace("{var.session}", "{user}")
    message = error_of(write(tmp_path, GOOD.replace(change, broken)))
    assert f":{line}:" in message and words in message


HOSTILE = [
    (
        'headers: {Authorization: "Bearer ${APP_SESSION}"}',
        'headers: {"Bad Name": "x"}',
        "not an HTTP header name",
    ),
    (
        'headers: {Authorization: "Bearer ${APP_SESSION}"}',
        'headers: {X-A: "a\\r\\nInjected: b"}',
        "no line break",
    ),
    ('headers: {Authorization: "Bearer ${APP_SESSION}"}', "headers: {Host: evil.example}", "set by authload"),
    (
        'headers: {Authorization: "Bearer ${APP_SESSION}"}',
        "headers: {Content-Length: '1'}",
        "set by authload",
    ),
    ("url: /chat/token?who={uid}", "url: /chat#frag", "no fragment"),
    ("url: /chat/token?who={uid}", "url: https://user:pw@example.com/x", "no user or password"),
    ("url: /chat/token?who={uid}", "url: ftp://example.com/x", "http(s)://"),
    ("url: /chat/token?who={uid}", "url: https://{uid}.example.com/x", "no placeholder in it"),
    ("url: /chat/token?who={uid}", "url: '/a b'", "no whitespace"),
    ("url: /chat/token?who={uid}", "url: /" + "a" * 3000, "at most 2048"),
    (
        'capture: {token: "$.cometchat.authToken", session: "$.session"}',
        'capture: {token: "cometchat.x"}',
        "starts with $",
    ),
    (
        'capture: {token: "$.cometchat.authToken", session: "$.session"}',
        'capture: {token: "$.a[x]"}',
        "cannot read",
    ),
    (
        'capture: {token: "$.cometchat.authToken", session: "$.session"}',
        'capture: {Token: "$.a"}',
        "capture name",
    ),
    ("method: post", "method: TRACE", "method"),
    ("expect_status: 200", "expect_status: 700", "expect_status"),
    (
        'json: {uid: "{uid}", nested: ["{uid}", 1, true]}',
        'json: {uid: "{uid}"}\n          body: "x"',
        "one body",
    ),
    ("name: app_token", "name: login_auth_token", "built-in name"),
    ("name: app_token", "name: Bad-Name", "lowercase"),
]


@pytest.mark.parametrize(("old", "new", "words"), HOSTILE)
def test_hostile_fields_are_exit_2_with_their_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, words: str
) -> None:
    monkeypatch.setenv("APP_SESSION", "x" * 8)
    assert old in GOOD
    message = error_of(write(tmp_path, GOOD.replace(old, new)))
    assert words in message, message
    assert f"{tmp_path / 's.yaml'}:" in message.splitlines()[0]


def test_a_huge_body_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SESSION", "x" * 8)
    old = 'json: {uid: "{uid}", nested: ["{uid}", 1, true]}'
    message = error_of(
        write(tmp_path, GOOD.replace(old, f"body: {'x' * 70_000}\n          content_type: text/plain"))
    )
    assert "over 64 KiB" in message and ":11:" in message


def test_a_get_sends_no_body(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SESSION", "x" * 8)
    message = error_of(write(tmp_path, GOOD.replace("method: post", "method: GET")))
    assert "a GET sends no body" in message


def test_a_var_needs_an_earlier_capture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SESSION", "x" * 8)
    text = GOOD.replace('session: "$.session"', 'other: "$.session"')
    message = error_of(write(tmp_path, text))
    assert "{var.session} has no value here" in message and ":15:" in message


def test_a_token_must_come_from_somewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SESSION", "x" * 8)
    text = GOOD.replace('token: "$.cometchat.authToken", ', "")
    message = error_of(write(tmp_path, text))
    assert "login_auth_token needs a token" in message and "captures token" in message


def test_two_http_steps_with_one_name_must_be_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_SESSION", "x" * 8)
    message = error_of(write(tmp_path, GOOD.replace("name: app_profile", "name: app_token")))
    assert "two different http steps are named 'app_token'" in message


def test_a_sign_up_through_the_app_needs_no_pool(tmp_path: Path) -> None:
    text = """\
name: signup
identities: {count: 0, tokens: from_app}
flows:
  signup:
    steps:
      - http: {name: app_signup, method: POST, url: /login, json: {uid: "{new_uid}"}, capture: {token: $.t}}
      - login_auth_token
      - delete_user
"""
    scenario = load_scenario(write(tmp_path, text))
    assert not scenario.uses_pool()


ENV = """\
name: stage
backend: cometchat
app_id: abc123
rest_api_key: k
app_base_url: https://app.example.com/api
app_headers: {Authorization: "Bearer x"}
extra_hosts: [auth.example.com]
"""


def test_absolute_urls_must_be_on_a_host_of_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_SESSION", "x" * 8)
    env = write(tmp_path, ENV, "stage.yaml")
    allowed = GOOD.replace("url: /chat/token?who={uid}", "url: https://auth.example.com/token")
    load_run_files(write(tmp_path, allowed), env)
    own = GOOD.replace("url: /chat/token?who={uid}", "url: https://abc123.api-us.cometchat.io/x")
    load_run_files(write(tmp_path, own), env)
    elsewhere = GOOD.replace("url: /chat/token?who={uid}", "url: https://evil.example.net/steal")
    with pytest.raises(ConfigError) as caught:
        load_run_files(write(tmp_path, elsewhere), env)
    assert "'evil.example.net'" in str(caught.value) and "extra_hosts" in str(caught.value)


def test_a_relative_url_needs_an_app_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SESSION", "x" * 8)
    env = write(tmp_path, ENV.replace("app_base_url: https://app.example.com/api\n", ""), "stage.yaml")
    with pytest.raises(ConfigError) as caught:
        load_run_files(write(tmp_path, GOOD), env)
    assert "set app_base_url" in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("app_base_url: https://app.example.com/api", "app_base_url: file:///etc/passwd", "app_base_url"),
        ('app_headers: {Authorization: "Bearer x"}', 'app_headers: {Authorization: "a\\nb"}', "line break"),
        ('app_headers: {Authorization: "Bearer x"}', 'app_headers: {"A B": x}', "header name"),
        ("extra_hosts: [auth.example.com]", "extra_hosts: [evil.com/x]", "not a host"),
        ("rest_api_key: k", "rest_api_key: k\ntls: {ca_file: missing.pem}", "no file"),
        ("rest_api_key: k", "rest_api_key: k\ntls: {ca_file: c.pem, verify: false}", "one or the other"),
    ],
)
def test_environment_fields_for_apps_and_tls(tmp_path: Path, old: str, new: str, words: str) -> None:
    from authload import load_environment

    (tmp_path / "c.pem").write_text("not a certificate")
    with pytest.raises(ConfigError) as caught:
        load_environment(write(tmp_path, ENV.replace(old, new), "stage.yaml"))
    assert words in str(caught.value)
    assert "stage.yaml:" in str(caught.value)


def test_a_ca_file_must_hold_a_certificate(tmp_path: Path) -> None:
    from authload import load_environment

    (tmp_path / "c.pem").write_text("not a certificate")
    with pytest.raises(ConfigError) as caught:
        load_environment(write(tmp_path, ENV + "tls: {ca_file: c.pem}\n", "stage.yaml"))
    assert "holds no PEM certificate" in str(caught.value) and "stage.yaml:8" in str(caught.value)


# --- the protocol side: what goes on the wire, what comes back ------------------------------------


def _spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("APP_SESSION", "s3cr3t-session")
    scenario = load_scenario(write(tmp_path, GOOD))
    return scenario.http_steps()


def test_placeholders_are_filled_in_and_encoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_step, profile_step = _spec(tmp_path, monkeypatch)  # type: ignore[misc]
    spec = token_step.spec()
    request = build_request(spec, {"uid": "a b/c", "token": "t", "new_uid": ""}, {"X-App": "1"})
    assert (request.method, request.host, request.path) == ("POST", "app", "/chat/token?who=a%20b%2Fc")
    assert request.route == "/chat/token?who={uid}"
    assert request.headers["Authorization"] == "Bearer s3cr3t-session" and request.headers["X-App"] == "1"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body or b"") == {"uid": "a b/c", "nested": ["a b/c", 1, True]}
    profile = build_request(profile_step.spec(), {"uid": "u", "token": "", "var.session": "s/1"}, {})
    assert profile.path == "/profile/s%2F1" and profile.body is None


def _answer(spec: object, status: int, body: bytes) -> dict[str, str]:
    flow = http_exchange(spec, {"uid": "u", "token": "", "new_uid": ""}, {})  # type: ignore[arg-type]
    next(flow)
    try:
        flow.send(Response(status, {}, body))
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    raise AssertionError("the exchange asked for a second request")


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (201, b'{"cometchat": {"authToken": "t"}, "session": "s"}', "HTTP_201"),  # expect_status: 200
        (200, b"<html>oops</html>", "PROTOCOL_NOT_JSON"),
        (200, b'{"cometchat": {}}', "CAPTURE_MISSING"),
        (200, b'{"cometchat": {"authToken": {"nested": 1}}, "session": "s"}', "CAPTURE_MISSING"),
        (200, b"\xff\xfe", "PROTOCOL_NOT_JSON"),
    ],
)
def test_answers_that_fail_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int, body: bytes, code: str
) -> None:
    spec = _spec(tmp_path, monkeypatch)[0].spec()  # type: ignore[index]
    with pytest.raises(Exception) as caught:
        _answer(spec, status, body)
    assert getattr(caught.value, "code", None) == code
    assert "s3cr3t" not in str(caught.value)


def test_captures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec(tmp_path, monkeypatch)[0].spec()  # type: ignore[index]
    captured = _answer(spec, 200, b'{"cometchat": {"authToken": "tok"}, "session": 42}')
    assert captured == {"token": "tok", "session": "42"}


def test_a_captured_value_with_a_line_break_never_reaches_a_header() -> None:
    spec_template = Template.parse("Bearer {var.s}")
    from authload.protocol._http_step import HttpSpec

    spec = HttpSpec(
        name="x",
        method="GET",
        host="app",
        path=Template.parse("/"),
        headers=(("Authorization", spec_template),),
    )
    with pytest.raises(Exception) as caught:
        build_request(spec, {"var.s": "a\r\nInjected: 1"}, {})
    assert getattr(caught.value, "code", None) == "CAPTURE_INVALID"


def test_the_virtual_user_keeps_captures_for_the_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_step, profile_step = _spec(tmp_path, monkeypatch)  # type: ignore[misc]
    user = VirtualUser(App("a"), Credentials("k"), lambda: "new-1")
    user.begin_cycle(Identity("u1"))
    flow = user.http(token_step.spec())
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(Response(200, {}, b'{"cometchat": {"authToken": "tok"}, "session": "s9"}'))
    assert user.identity.token == "tok" and user.captured == {"var.session": "s9"}
    flow = user.http(profile_step.spec())
    assert next(flow).path == "/profile/s9"
    user.begin_cycle(Identity("u2"))
    assert user.captured == {}


def test_json_paths() -> None:
    assert parse_json_path("$") == ()
    assert parse_json_path("$.a.b[2]['c d'][\"e\"]") == ("a", "b", 2, "c d", "e")
    assert find({"a": [{"b": True}]}, ("a", 0, "b")) == "true"
    assert find({"a": 1.5}, ("a",)) == "1.5"
    assert find({"a": None}, ("a",)) is None
    assert find({"a": [1]}, ("a", 3)) is None
    for bad in ("a.b", "$.", "$..a", "$[x]", "$['a]"):
        with pytest.raises(ValueError):
            parse_json_path(bad)
