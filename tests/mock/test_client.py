"""The SDK's client surface: /me login, refresh, logout; settings; telemetry; analytics; 404s."""

from __future__ import annotations

import pytest
from mock_helpers import client, code, key, me, mint, rest, stats, token

from authload.mock import MockConfig, create_mock_app
from authload.protocol import wire

pytestmark = pytest.mark.anyio
SDK_BODY = {"platform": "WEB", "deviceId": "app_x_1", "appInfo": {"version": "v4.2.0", "apiVersion": "v3.0"}}


async def test_login_echoes_the_token_and_points_settings_back_at_the_mock() -> None:
    config = MockConfig()
    async with client(create_mock_app(config), "http://127.0.0.1:8765") as http:
        value = await mint(http, config)
        reply = await http.put(me(), json=SDK_BODY, headers=token(config, value))
        assert reply.status_code == 200
        data = reply.json()["data"]
        assert (
            data["uid"] == "cometchat-uid-1"
            and data["name"] == "Andrew Joseph"
            and data["status"] == "online"
        )
        assert data[wire.F_AUTH_TOKEN] == value
        assert data["jwt"].count(".") == 2
        settings = data["settings"]
        assert (
            settings["ADMIN_API_HOST"]
            == settings["CLIENT_API_HOST"]
            == settings["ANALYTICS_HOST"]
            == "127.0.0.1:8765"
        )
        assert (settings["CHAT_HOST"], settings["CHAT_WSS_PORT"]) == ("127.0.0.1", 8765)
        assert settings["CHAT_API_VERSION"] == wire.CLIENT_VERSION and settings["ANALYTICS_VERSION"] == "v1"
        assert settings["APP_VERSION"] == 4 and settings["settingsHash"]
        same = await http.get(wire.client_path(wire.SETTINGS), headers=token(config, value))
        assert same.json()["data"] == settings


async def test_get_me_is_a_login_without_a_session() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        value = await mint(http, config)
        reply = await http.get(me(), headers=token(config, value))
        assert reply.json()["data"][wire.F_AUTH_TOKEN] == value
        assert (await stats(http))["store"]["open_sessions"] == 0


async def test_logout_ends_the_session_and_keeps_the_token() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        value = await mint(http, config)
        await http.put(me(), json=SDK_BODY, headers=token(config, value))
        assert (await stats(http))["store"]["open_sessions"] == 1
        out = await http.delete(me(), headers=token(config, value))
        assert out.status_code == 200 and out.json()["data"]["success"] is True
        assert (await stats(http))["store"]["open_sessions"] == 0
        assert (await http.put(me(), json=SDK_BODY, headers=token(config, value))).status_code == 200


async def test_logout_revokes_the_token_when_configured() -> None:
    config = MockConfig(revoke_token_on_logout=True)
    async with client(create_mock_app(config)) as http:
        value = await mint(http, config)
        await http.put(me(), json=SDK_BODY, headers=token(config, value))
        await http.delete(me(), headers=token(config, value))
        again = await http.put(me(), json=SDK_BODY, headers=token(config, value))
        assert again.status_code == 401 and code(again) == wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND
        logout = await http.delete(me(), headers=token(config, value))
        assert code(logout) == wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", me()), ("GET", me()), ("DELETE", me()), ("GET", wire.client_path(wire.SETTINGS))],
)
async def test_every_client_call_checks_the_token(method: str, path: str) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        missing = await http.request(method, path, headers={wire.H_APP_ID: config.app_id})
        assert missing.status_code == 401 and code(missing) == wire.AUTH_ERR_EMPTY_AUTH_TOKEN
        bogus = await http.request(method, path, headers=token(config, "nobody_123"))
        assert bogus.status_code == 401 and code(bogus) == wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND
        message = wire.ERROR_MESSAGES[wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND].format(authToken="nobody_123")
        assert bogus.json()["error"]["message"] == message


@pytest.mark.parametrize("permanent", [False, True])
async def test_tokens_of_deleted_users_stop_working_at_once(permanent: bool) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        value = await mint(http, config)
        path = rest(wire.USER, uid="cometchat-uid-1")
        await http.request("DELETE", path, json={"permanent": permanent}, headers=key(config))
        reply = await http.put(me(), json=SDK_BODY, headers=token(config, value))
        assert reply.status_code == 401 and code(reply) == wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND


async def test_token_status_is_configurable() -> None:
    config = MockConfig.model_validate({"statuses": {"auth_err_auth_token_not_found": 404}})
    async with client(create_mock_app(config)) as http:
        assert (await http.put(me(), json={}, headers=token(config, "x"))).status_code == 404


@pytest.mark.parametrize("prefix", ["/v3.0", "/v3", ""])
async def test_client_paths_under_every_version(prefix: str) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        value = await mint(http, config)
        assert (await http.put(prefix + wire.ME, json={}, headers=token(config, value))).status_code == 200


async def test_user_sessions_echo_the_session_id_without_a_token() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        path = wire.client_path(wire.USER_SESSIONS)
        reply = await http.post(
            path, json={"sessionId": "abc", "data": {}}, headers={wire.H_APP_ID: config.app_id}
        )
        assert reply.json() == {"data": {"sessionId": "abc"}}
        bad = await http.post(path, json={}, headers={wire.H_APP_ID: config.app_id})
        assert code(bad) == wire.ERR_BAD_REQUEST


async def test_analytics_ping() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        path = f"/{wire.ANALYTICS_VERSION}{wire.ANALYTICS_PING}"
        reply = await http.post(path, json={"uid": "x"}, headers={wire.H_APP_ID: config.app_id})
        assert reply.status_code == 200 and reply.json() == {"data": {}}


async def test_replies_assembled_from_bytes_are_the_protocols_envelope() -> None:
    """`PUT /me`, `GET /me`, `GET /settings` and the ping are built from cached bytes: exactly
    what `wire.data_body` would encode."""
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        value = await mint(http, config)
        ping = f"/{wire.ANALYTICS_VERSION}{wire.ANALYTICS_PING}"
        replies = [
            await http.put(me(), json=SDK_BODY, headers=token(config, value)),
            await http.get(me(), headers=token(config, value)),
            await http.get(wire.client_path(wire.SETTINGS), headers=token(config, value)),
            await http.post(ping, json={}, headers={wire.H_APP_ID: config.app_id}),
        ]
        for reply in replies:
            assert reply.status_code == 200
            assert reply.content == wire.encode_json(wire.data_body(reply.json()["data"]))


async def test_unknown_paths_and_methods_are_api_not_found() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        for method, path in (
            ("GET", "/v2/users"),
            ("PATCH", me()),
            ("POST", rest(wire.USER, uid="a")),
            ("GET", "/"),
            ("POST", rest(wire.AUTH_TOKENS, uid="cometchat-uid-1") + "%0A"),  # `$` allows a final newline
        ):
            reply = await http.request(method, path, headers=key(config))
            assert reply.status_code == 404 and code(reply) == wire.ERR_API_NOT_FOUND
        slash = await http.get(rest(wire.USERS) + "/", headers=key(config))
        assert slash.status_code == 200
        assert (await stats(http))["routes"]["unknown"]["codes"] == {wire.ERR_API_NOT_FOUND: 5}


async def test_a_failing_handler_is_a_counted_500_envelope() -> None:
    from authload.mock._context import Call, Route
    from authload.mock._http import HttpPipeline

    def boom(call: Call) -> bytes:
        raise RuntimeError("bug")

    app = create_mock_app(MockConfig())
    pipeline = HttpPipeline(app.mock, (Route("boom", "GET", "/boom", "standard", "none", boom),))
    async with client(pipeline) as http:
        reply = await http.get("/v3/boom")
        assert reply.status_code == 500 and code(reply) == wire.ERR_OPERATION_FAILED
    assert app.mock.counters.routes["boom"].codes == {wire.ERR_OPERATION_FAILED: 1}
