"""AdminClient and ChatSession against the in-process mock: the SDK's behaviour, end to end."""

from __future__ import annotations

import pytest

from authload import AdminClient, ApiError, ChatSession, LoginListener, MockConfig
from authload.protocol import wire

from .conftest import SyncASGITransport

BASE = "http://127.0.0.1:9"  # never connected: the transport is in-process


def admin(config: MockConfig, transport: SyncASGITransport, key: str | None = None) -> AdminClient:
    return AdminClient(BASE, app_id=config.app_id, api_key=key or config.rest_api_key, transport=transport)


def chat(config: MockConfig, transport: SyncASGITransport) -> ChatSession:
    return ChatSession(BASE, app_id=config.app_id, transport=transport)


def test_user_lifecycle(mock_config: MockConfig, transport: SyncASGITransport) -> None:
    with admin(mock_config, transport) as client:
        created = client.create_user("Alice_1", "Alice")
        assert created.uid == "alice_1"  # CometChat lowercases uids
        assert client.get_user("alice_1").name == "Alice"
        with pytest.raises(ApiError) as caught:
            client.create_user("alice_1", "Again")
        assert caught.value.code == wire.ERR_UID_ALREADY_EXISTS
        client.delete_user("alice_1")
        with pytest.raises(ApiError) as gone:
            client.get_user("alice_1")
        assert gone.value.code == wire.ERR_UID_NOT_FOUND and gone.value.status == 404


def test_auth_key_cannot_delete_users(mock_config: MockConfig, transport: SyncASGITransport) -> None:
    with admin(mock_config, transport, key=mock_config.auth_key) as client:
        assert client.create_auth_token("cometchat-uid-1").token.startswith("cometchat-uid-1_")
        with pytest.raises(ApiError) as caught:
            client.delete_user("cometchat-uid-1")
        assert caught.value.code == wire.AUTH_ERR_NO_ACCESS and caught.value.status == 403
        assert mock_config.auth_key not in str(caught.value)


def test_sdk_like_session(mock_config: MockConfig, transport: SyncASGITransport) -> None:
    events: list[str] = []
    listener = LoginListener(
        login_success=lambda user: events.append(f"login:{user.uid}"),
        login_failure=lambda error: events.append(f"failure:{error.code}"),
        logout_success=lambda: events.append("logout"),
    )
    with admin(mock_config, transport) as rest, chat(mock_config, transport) as session:
        session.add_login_listener("test", listener)
        token = rest.create_auth_token("cometchat-uid-2").token
        assert session.get_logged_in_user() is None
        assert session.login(token).uid == "cometchat-uid-2"
        assert session.login(token).uid == "cometchat-uid-2"  # same token: no request
        session.login("cometchat-uid-3", mock_config.auth_key)  # another user replaces the session
        current = session.get_logged_in_user()
        assert current is not None and current.uid == "cometchat-uid-3"
        session.logout()
        assert session.get_logged_in_user() is None
        session.remove_login_listener("test")
        session.login(token)
    assert events == ["login:cometchat-uid-2", "login:cometchat-uid-2", "login:cometchat-uid-3", "logout"]


def test_deleted_token_fails_login(mock_config: MockConfig, transport: SyncASGITransport) -> None:
    failures: list[str] = []
    with admin(mock_config, transport) as rest, chat(mock_config, transport) as session:
        session.add_login_listener(
            "l", LoginListener(login_failure=lambda error: failures.append(error.code))
        )
        rest.create_user("bob", "Bob")
        token = rest.create_auth_token("bob").token
        session.login(token)
        session.logout()
        session.login(token)  # the token outlives a logout, as CometChat's do
        session.logout()
        rest.delete_user("bob")
        with pytest.raises(ApiError) as caught:
            session.login(token)
    assert caught.value.code == wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND
    assert failures == [wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND]
    assert session.get_logged_in_user() is None
