"""The real-time socket end to end over loopback: `ChatSession` (wsproto client) against a mock
process, with the mock's `ws.auth` counters, faults and rate limits (issue 11)."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from authload import MockConfig, MockProcess
from authload.client import AdminClient, ChatSession
from authload.client._realtime import open_realtime
from authload.common._errors import RealtimeError
from authload.protocol._messages import App, Session, User
from authload.protocol._realtime import RealtimePlan, RealtimeUrl, auth_frame


def _stats(mock: MockProcess) -> dict[str, Any]:
    return httpx.get(f"{mock.base_url}/_mock/stats").json()  # type: ignore[no-any-return]


def _session(mock: MockProcess, config: MockConfig) -> ChatSession:
    admin = AdminClient(mock.base_url, app_id=config.app_id, api_key=config.rest_api_key)
    token = admin.create_auth_token("cometchat-uid-1").token
    admin.close()
    chat = ChatSession(mock.base_url, app_id=config.app_id, timeout=5)
    chat.login(token)
    return chat


def test_connect_authenticate_and_logout_closes() -> None:
    config = MockConfig()
    with MockProcess(config) as mock:
        chat = _session(mock, config)
        live = chat.connect_realtime()
        assert live.url.port == int(mock.base_url.rsplit(":", 1)[1]) and not live.url.secure
        chat.logout()
        assert chat.realtime is None
        chat.close()
        stats = _stats(mock)
    assert stats["websocket"]["auth_ok"] == 1
    assert stats["routes"]["ws.auth"] == {"requests": 1, "status": {"200": 1}, "codes": {}, "faults": {}}


@pytest.mark.parametrize(
    ("fault", "cause", "counted"),
    [
        ({"kind": "error", "status": 401, "code": "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"}, "auth_rejected", "error"),
        ({"kind": "non_json"}, "auth_rejected", "non_json"),
        ({"kind": "reset"}, "reset", "reset"),
    ],
)
def test_faults_on_the_auth_frame(fault: dict[str, Any], cause: str, counted: str) -> None:
    config = MockConfig(faults=[{**fault, "route": "ws.auth"}])  # type: ignore[list-item]
    with MockProcess(config) as mock:
        chat = _session(mock, config)
        with pytest.raises(RealtimeError) as caught:
            chat.connect_realtime()
        stats = _stats(mock)
        chat.close()
    assert caught.value.code == f"REALTIME_{cause.upper()}"
    assert stats["routes"]["ws.auth"]["faults"] == {counted: 1}
    assert stats["websocket"]["auth_ok"] == 0


def test_rate_limited_auth_is_rejected_and_counted() -> None:
    limits = {"enabled": True, "standard_per_minute": 3}  # me.login is core; ws.auth standard
    config = MockConfig(rate_limits=limits)  # type: ignore[arg-type]
    with MockProcess(config) as mock:
        chat = _session(mock, config)
        chat.connect_realtime()
        seen = []
        for _ in range(3):
            try:
                chat.connect_realtime()
                seen.append("ok")
            except RealtimeError as error:
                seen.append(error.code)
        stats = _stats(mock)["routes"]["ws.auth"]
        chat.close()
    assert seen[-1] == "REALTIME_AUTH_REJECTED" and "ok" in seen
    assert stats["codes"] == {"ERR_TOO_MANY_REQUESTS": seen.count("REALTIME_AUTH_REJECTED")}


def test_refused_and_forged_jwt() -> None:
    session = Session(User("u", "U"), auth_token="t", jwt="not.a.jwt")
    frame = auth_frame(App("authload-mock"), session, "d")
    with socket.socket() as held, pytest.raises(RealtimeError) as refused:
        held.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused
        open_realtime(RealtimePlan(RealtimeUrl("127.0.0.1", held.getsockname()[1], False), frame), 2)
    assert refused.value.code == "REALTIME_REFUSED"
    with MockProcess(MockConfig()) as mock:
        url = RealtimeUrl("127.0.0.1", int(mock.base_url.rsplit(":", 1)[1]), False)
        with pytest.raises(RealtimeError) as rejected:
            open_realtime(RealtimePlan(url, frame), 2)
        stats = _stats(mock)
    assert rejected.value.code == "REALTIME_AUTH_REJECTED"
    assert stats["routes"]["ws.auth"]["codes"] == {"AUTH_ERR_AUTH_TOKEN_NOT_FOUND": 1}
    assert stats["websocket"]["auth_failed"] == 1
