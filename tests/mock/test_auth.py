"""Apps, keys and scopes: who may call what, and the codes for everyone else."""

from __future__ import annotations

import httpx
import pytest
from mock_helpers import client, code, key, me, rest

from authload.mock import MockConfig, create_mock_app
from authload.protocol import wire

pytestmark = pytest.mark.anyio
UID = "cometchat-uid-1"

# (method, path, body): every REST route; the first three are open to the Auth Key.
AUTH_KEY_ALLOWED = [
    ("POST", rest(wire.USERS), {"uid": "new-user", "name": "N"}),
    ("PUT", rest(wire.USER, uid=UID), {"name": "N"}),
    ("POST", rest(wire.AUTH_TOKENS, uid=UID), {}),
]
FULL_ACCESS_ONLY = [
    ("GET", rest(wire.USERS), None),
    ("DELETE", rest(wire.USERS), {"uidsToDeactivate": [UID]}),
    ("PUT", rest(wire.USERS), {"uidsToActivate": [UID]}),
    ("GET", rest(wire.USER, uid=UID), None),
    ("DELETE", rest(wire.USER, uid=UID), {"permanent": True}),
    ("GET", rest(wire.AUTH_TOKENS, uid=UID), None),
    ("DELETE", rest(wire.AUTH_TOKENS, uid=UID), None),
    ("GET", rest(wire.AUTH_TOKEN, uid=UID, auth_token="t"), None),
    ("PUT", rest(wire.AUTH_TOKEN, uid=UID, auth_token="t"), {}),
    ("DELETE", rest(wire.AUTH_TOKEN, uid=UID, auth_token="t"), None),
]
ALL_REST = AUTH_KEY_ALLOWED + FULL_ACCESS_ONLY


async def _call(
    http: httpx.AsyncClient, method: str, path: str, body: object, headers: dict[str, str]
) -> httpx.Response:
    return await http.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), AUTH_KEY_ALLOWED)
async def test_auth_key_may_create_users_update_users_and_create_tokens(
    method: str, path: str, body: object
) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        reply = await _call(http, method, path, body, key(config, auth_key=True))
        assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(("method", "path", "body"), FULL_ACCESS_ONLY)
async def test_auth_key_gets_no_access_elsewhere(method: str, path: str, body: object) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        reply = await _call(http, method, path, body, key(config, auth_key=True))
        assert reply.status_code == 403 and code(reply) == wire.AUTH_ERR_NO_ACCESS
        assert config.auth_key in reply.json()["error"]["message"]


@pytest.mark.parametrize(("method", "path", "body"), ALL_REST)
async def test_missing_and_unknown_keys(method: str, path: str, body: object) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        empty = await _call(http, method, path, body, {wire.H_APP_ID: config.app_id})
        assert empty.status_code == 401 and code(empty) == wire.AUTH_ERR_EMPTY_APIKEY
        unknown = await _call(
            http, method, path, body, {wire.H_APP_ID: config.app_id, wire.H_API_KEY: "f" * 40}
        )
        assert unknown.status_code == 401 and code(unknown) == wire.AUTH_ERR_APIKEY_NOT_FOUND
        assert unknown.json()["error"]["message"] == wire.ERROR_MESSAGES[
            wire.AUTH_ERR_APIKEY_NOT_FOUND
        ].format(apikey="f" * 40)


async def test_unknown_key_status_is_configurable_and_header_names_are_case_insensitive() -> None:
    config = MockConfig.model_validate({"statuses": {"auth_err_apikey_not_found": 404}})
    async with client(create_mock_app(config)) as http:
        reply = await http.get(rest(wire.USERS), headers={"APIKEY": "nope", "APPID": config.app_id})
        assert reply.status_code == 404 and code(reply) == wire.AUTH_ERR_APIKEY_NOT_FOUND
        lower = await http.get(
            rest(wire.USERS), headers={"apikey": config.rest_api_key, "appid": config.app_id}
        )
        assert lower.status_code == 200


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("authload-mock.api-eu.cometchat.io", 200),
        ("authload-mock.apiclient-eu.cometchat.io", 200),
        ("AUTHLOAD-MOCK.api-eu.cometchat.io", 200),
        ("other-app.api-eu.cometchat.io", 401),
        ("authload-mock.api-us.cometchat.io", 401),
    ],
)
async def test_app_from_the_host_name(host: str, expected: int) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        reply = await http.get(rest(wire.USERS), headers={"host": host, wire.H_API_KEY: config.rest_api_key})
        assert reply.status_code == expected
        if expected != 200:
            assert code(reply) == wire.AUTH_ERR_INVALID_APPID


async def test_app_from_the_header_and_missing_app() -> None:
    config = MockConfig()
    app = create_mock_app(config)
    async with client(app) as http:
        wrong = await http.get(
            rest(wire.USERS), headers={wire.H_APP_ID: "nope", wire.H_API_KEY: config.rest_api_key}
        )
        assert wrong.status_code == 401 and code(wrong) == wire.AUTH_ERR_INVALID_APPID
        bare = await http.get(rest(wire.USERS), headers={wire.H_API_KEY: config.rest_api_key})
        assert bare.status_code == 200  # loopback, no app named: accepted as the configured app
    remote = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.0.0.9", 5)), base_url="http://x"
    )
    async with remote as http:
        bare = await http.get(rest(wire.USERS), headers={wire.H_API_KEY: config.rest_api_key})
        assert bare.status_code == 401 and code(bare) == wire.AUTH_ERR_EMPTY_APPID
    strict = MockConfig.model_validate(
        {"accept_missing_app_id": False, "statuses": {"auth_err_empty_appid": 400}}
    )
    async with client(create_mock_app(strict)) as http:
        bare = await http.get(rest(wire.USERS), headers={wire.H_API_KEY: strict.rest_api_key})
        assert bare.status_code == 400 and code(bare) == wire.AUTH_ERR_EMPTY_APPID


async def test_invalid_app_status_is_configurable() -> None:
    config = MockConfig.model_validate({"statuses": {"auth_err_invalid_appid": 404}})
    async with client(create_mock_app(config)) as http:
        reply = await http.put(me(), json={}, headers={wire.H_APP_ID: "nope"})
        assert reply.status_code == 404 and code(reply) == wire.AUTH_ERR_INVALID_APPID
