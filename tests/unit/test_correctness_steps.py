"""Issue 11 without I/O: step outcomes, `expect` in scenario files, session checks across
steps, credentials the environment must have, the real-time socket's address and frames."""

from __future__ import annotations

from pathlib import Path

import pytest

from authload.common._errors import ApiError, ConfigError, CorrectnessError, RealtimeError, TransportError
from authload.protocol._messages import App, Session, User
from authload.protocol._realtime import auth_frame, read_auth_reply, realtime_url
from authload.report import CORRECTNESS, SKIPPED, judge
from authload.report._outcomes import ERROR, OK
from authload.scenario import load_environment, load_scenario
from authload.scenario._credentials import check_credentials

NOT_FOUND = ApiError("AUTH_ERR_AUTH_TOKEN_NOT_FOUND", status=401)


@pytest.mark.parametrize(
    ("expect", "failure", "sent", "kind", "code"),
    [
        (None, None, True, OK, None),
        (None, None, False, SKIPPED, None),
        (None, NOT_FOUND, True, ERROR, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"),
        (None, CorrectnessError("SESSION_WRONG_USER"), True, CORRECTNESS, "SESSION_WRONG_USER"),
        ("AUTH_ERR_AUTH_TOKEN_NOT_FOUND", NOT_FOUND, True, OK, None),
        ("AUTH_ERR_AUTH_TOKEN_NOT_FOUND", None, True, CORRECTNESS, "EXPECTED_AUTH_ERR_AUTH_TOKEN_NOT_FOUND"),
        ("AUTH_ERR_AUTH_TOKEN_NOT_FOUND", None, False, CORRECTNESS, "EXPECTED_AUTH_ERR_AUTH_TOKEN_NOT_FOUND"),
        ("AUTH_ERR_AUTH_TOKEN_NOT_FOUND", TransportError("x", cause="reset"), True, ERROR, "TRANSPORT_RESET"),
    ],
)
def test_outcomes(
    expect: str | None, failure: Exception | None, sent: bool, kind: str, code: str | None
) -> None:
    failure_code = getattr(failure, "code", None)
    outcome = judge(expect, failure, failure_code, sent)
    assert (outcome.kind, outcome.code) == (kind, code)


def _scenario(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nidentities: {{tokens: in_flow}}\nflows:\n  f:\n    steps: {steps}\n")
    return path


def test_expect_is_read_and_checked(tmp_path: Path) -> None:
    steps = (
        "[create_auth_token, delete_auth_token, {login_auth_token: {expect: AUTH_ERR_AUTH_TOKEN_NOT_FOUND}}]"
    )
    scenario = load_scenario(_scenario(tmp_path, steps))
    assert scenario.flows["f"].steps[-1].expect == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"
    for bad in ("{login_auth_token: {expect: not a code}}", "{login_auth_token: {expected: X}}"):
        with pytest.raises(ConfigError, match=r"s\.yaml:\d+: flows\.f\.steps\[1\]"):
            load_scenario(_scenario(tmp_path, f"[create_auth_token, {bad}]"))


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ("[connect_realtime, login_auth_key]", "connect_realtime needs a login"),
        ("[verify_session]", "verify_session needs a login"),
        ("[login_auth_key, delete_auth_token]", None),
        ("[delete_auth_token]", "delete_auth_token deletes the token this flow minted"),
    ],
)
def test_steps_that_need_a_login_or_a_minted_token(tmp_path: Path, steps: str, message: str | None) -> None:
    if message is None:
        load_scenario(_scenario(tmp_path, steps))
        return
    with pytest.raises(ConfigError, match=message):
        load_scenario(_scenario(tmp_path, steps))


def test_missing_credentials_name_step_credential_and_variable(tmp_path: Path) -> None:
    env_path = tmp_path / "e.yaml"
    env_path.write_text(
        "name: e\nbackend: cometchat\napp_id: abc\nrest_api_key: ${T_REST:-}\nauth_key: ${T_AUTH:-}\n"
    )
    env = load_environment(env_path, environ={})
    scenario = load_scenario(_scenario(tmp_path, "[login_auth_key, logout]"))
    with pytest.raises(ConfigError) as caught:
        check_credentials(scenario, env, env_path)
    text = str(caught.value)
    assert "step 'login_auth_key' of flow 'f' needs the Auth Key" in text and "T_AUTH" in text
    assert "identities (provisioning the pool) needs the REST API key" in text and "T_REST" in text
    with_keys = load_environment(env_path, environ={"T_REST": "r" * 40, "T_AUTH": "a" * 40})
    check_credentials(scenario, with_keys, env_path)
    pooled = tmp_path / "p.yaml"
    pooled.write_text("name: p\nflows:\n  f:\n    steps: [login_auth_token]\n")
    with pytest.raises(
        ConfigError, match=r"identities \(provisioning the pool\) needs the REST API key.*T_REST"
    ):
        check_credentials(load_scenario(pooled), env, env_path)


def test_realtime_address_as_the_sdk_builds_it() -> None:
    settings = {"CHAT_HOST": "a.example", "CHAT_WSS_PORT": 443, "CHAT_HOST_APP_SPECIFIC": "b.example"}
    assert realtime_url(settings, secure=True).url == "wss://b.example:443/"
    settings["CHAT_HOST_OVERRIDE"] = "::1"
    assert realtime_url(settings, secure=False).url == "ws://[::1]:443/"
    with pytest.raises(Exception, match="CHAT_HOST"):
        realtime_url({}, secure=True)


def test_auth_frame_and_reply() -> None:
    session = Session(User("u1", "U"), auth_token="t", jwt="j.w.t")
    frame = auth_frame(App("app"), session, "dev")
    assert '"type":"auth"' in frame and '"auth":"j.w.t"' in frame and '"sender":"u1"' in frame
    read_auth_reply('{"type":"auth","body":{"code":"200","status":"OK"}}')
    for reply in ('{"type":"auth","body":{"code":"401","status":"X"}}', "nope", '{"action":"pong"}'):
        with pytest.raises(RealtimeError) as caught:
            read_auth_reply(reply)
        assert caught.value.code == "REALTIME_AUTH_REJECTED"
