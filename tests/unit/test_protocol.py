"""The protocol core: requests each operation yields and how responses are read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from authload import ApiError, ProtocolError
from authload import protocol as p
from authload.protocol._sdk_session import SdkSession

APP = p.App("app1")


def reply(status: int, payload: Any, **headers: str) -> p.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return p.Response(status, {k.lower(): v for k, v in headers.items()}, body)


def user(uid: str, **extra: Any) -> p.Response:
    return reply(200, {"data": {"uid": uid, "name": uid.title(), **extra}})


def drive(flow: p.Exchange[Any], *responses: p.Response) -> tuple[list[p.Request], Any]:
    """Run a flow against canned responses; return the requests it made and its result."""
    sent: list[p.Request] = []
    queue = list(responses)

    def send(request: p.Request) -> p.Response:
        sent.append(request)
        return queue.pop(0)

    return sent, p.run_exchange(flow, send)


def test_create_user_request_and_result() -> None:
    sent, created = drive(p.create_user(APP, "key1", "alice", "Alice", with_auth_token=True), user("alice"))
    (request,) = sent
    assert (request.method, request.host, request.path) == ("POST", "rest", "/v3/users")
    assert request.headers["apiKey"] == "key1" and request.headers["appId"] == "app1"
    assert json.loads(request.body or b"") == {"uid": "alice", "name": "Alice", "withAuthToken": True}
    assert created.uid == "alice"


def test_login_auth_key_mints_then_puts_me() -> None:
    token = "alice_1630306819c3027ce530b2367f3c97b4106f0cb8"
    sent, session = drive(
        p.login_auth_key(APP, "alice", "authkey"),
        reply(200, {"data": {"uid": "alice", "authToken": token, "createdAt": 1}}),
        user("alice", authToken=token, jwt="j"),
    )
    assert [(r.method, r.host, r.path) for r in sent] == [
        ("POST", "rest", "/v3.0/users/alice/auth_tokens"),
        ("PUT", "client", "/v3.0/me"),
    ]
    assert sent[0].headers["apiKey"] == "authkey"
    assert sent[1].headers["authToken"] == token
    assert session.user.uid == "alice" and session.jwt == "j" and session.auth_token == token


def test_path_parameters_are_quoted() -> None:
    sent, _ = drive(p.delete_user(APP, "k", "a/b"), reply(200, {"data": {"success": True}}))
    assert sent[0].path == "/v3/users/a%2Fb"
    assert json.loads(sent[0].body or b"") == {"permanent": True}


def test_error_envelope_becomes_api_error_without_the_message_in_str() -> None:
    body = p.wire.error_body(
        p.wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND, "The auth token secret_tok does not exist."
    )
    with pytest.raises(ApiError) as caught:
        drive(p.logout(APP, "secret_tok"), reply(401, body, **{"Retry-After": "3"}))
    error = caught.value
    assert error.code == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND" and error.status == 401 and error.retry_after == 3.0
    assert "secret_tok" not in str(error)
    assert str(error) == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND (HTTP 401)"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>502</html>", "not JSON"),
        (b'{"ok": true}', "neither"),
        (b"[1, 2]", "neither"),
        (b'{"data": {"name": "no uid"}}', "lacks uid"),
    ],
)
def test_contract_violations_are_protocol_errors(body: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason) as caught:
        drive(p.get_user(APP, "k", "alice"), reply(502, body))
    assert caught.value.code in ("PROTOCOL_HTTP_502",)


def test_sdk_cares_about_the_body_not_the_status() -> None:
    _, found = drive(p.get_user(APP, "k", "alice"), p.Response(404, {}, b'{"data": {"uid": "alice"}}'))
    assert found.uid == "alice"


class TestSdkSession:
    """The transitions table of `authload.protocol._sdk_session`."""

    def login(self, sdk: SdkSession, token: str = "t1", uid: str = "alice") -> list[p.Request]:
        sent, _ = drive(sdk.login_auth_token(token), user(uid, authToken=token))
        return sent

    def test_getloggedinuser_is_local(self) -> None:
        sdk = SdkSession(APP)
        assert sdk.get_logged_in_user() is None
        self.login(sdk)
        logged_in = sdk.get_logged_in_user()
        assert logged_in is not None and logged_in.uid == "alice"

    def test_same_token_sends_nothing(self) -> None:
        sdk = SdkSession(APP)
        assert len(self.login(sdk)) == 1
        assert self.login(sdk) == []

    def test_same_uid_with_auth_key_sends_nothing(self) -> None:
        sdk = SdkSession(APP)
        self.login(sdk)
        sent, session = drive(sdk.login_auth_key("alice", "authkey"))
        assert sent == [] and session.user.uid == "alice"

    def test_other_user_replaces_session_without_logout(self) -> None:
        sdk = SdkSession(APP)
        self.login(sdk)
        sent = self.login(sdk, token="t2", uid="bob")
        assert [r.method for r in sent] == ["PUT"]
        assert sdk.current is not None and sdk.current.user.uid == "bob"

    def test_logout_sends_delete_and_clears(self) -> None:
        sdk = SdkSession(APP)
        self.login(sdk)
        sent, was_sent = drive(sdk.logout(), reply(200, {"data": {"success": True}}))
        assert [(r.method, r.path) for r in sent] == [("DELETE", "/v3.0/me")] and was_sent is True
        assert sdk.get_logged_in_user() is None
        assert drive(sdk.logout()) == ([], False)

    def test_logout_with_dead_token_still_succeeds(self) -> None:
        sdk = SdkSession(APP)
        self.login(sdk)
        dead = reply(401, p.wire.error_body(p.wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND, "gone"))
        assert drive(sdk.logout(), dead)[1] is True
        assert sdk.current is None

    def test_logout_other_error_raises_but_clears(self) -> None:
        sdk = SdkSession(APP)
        self.login(sdk)
        with pytest.raises(ApiError):
            drive(sdk.logout(), reply(500, p.wire.error_body("ERR_OPERATION_FAILED", "boom")))
        assert sdk.current is None

    def test_failed_login_leaves_logged_out(self) -> None:
        sdk = SdkSession(APP)
        self.login(sdk)
        dead = reply(401, p.wire.error_body(p.wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND, "gone"))
        with pytest.raises(ApiError):
            drive(sdk.login_auth_token("t9"), dead)
        assert sdk.get_logged_in_user() is None


@pytest.mark.parametrize("data", [{}, {"uid": "a"}, [1, "x"], None, "text"])
def test_data_envelope_parts_wrap_encoded_data_as_data_body_does(data: Any) -> None:
    head, tail = p.wire.data_envelope()
    assert head + p.wire.encode_json(data) + tail == p.wire.encode_json(p.wire.data_body(data))
