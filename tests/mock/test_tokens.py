"""REST auth tokens: create (REST and SDK bodies), list, get, update, delete, flush, rolling window."""

from __future__ import annotations

import re

import pytest
from mock_helpers import client, code, key, me, mint, rest, token

from authload.mock import MockConfig, create_mock_app
from authload.protocol import wire

pytestmark = pytest.mark.anyio
UID = "cometchat-uid-1"
SDK_BODY = {"platform": "WEB", "deviceId": "app_x_1", "appInfo": {"version": "v4.2.0", "apiVersion": "v3.0"}}


async def test_create_token_format_and_shape() -> None:
    config = MockConfig()
    async with client(create_mock_app(config, clock=lambda: 1630306819.5)) as http:
        reply = await http.post(rest(wire.AUTH_TOKENS, uid=UID), json={"force": True}, headers=key(config))
        data = reply.json()["data"]
        assert set(data) == {"uid", wire.F_AUTH_TOKEN, "createdAt"}
        assert data["uid"] == UID and data["createdAt"] == 1630306819
        assert re.fullmatch(rf"{UID}_1630306819[0-9a-f]{{30}}", data[wire.F_AUTH_TOKEN])


@pytest.mark.parametrize("version", wire.API_VERSIONS)
async def test_sdk_login_step_one_with_the_auth_key(version: str) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        path = rest(wire.AUTH_TOKENS, version, uid=UID)
        reply = await http.post(path, json=SDK_BODY, headers=key(config, auth_key=True))
        assert reply.status_code == 200 and reply.json()["data"][wire.F_AUTH_TOKEN].startswith(UID)


async def test_create_for_unknown_user() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        reply = await http.post(rest(wire.AUTH_TOKENS, uid="ghost"), json={}, headers=key(config))
        assert reply.status_code == 404 and code(reply) == wire.ERR_UID_NOT_FOUND


async def test_force_mints_new_and_reuse_mode_returns_the_newest() -> None:
    plain = MockConfig()
    async with client(create_mock_app(plain)) as http:
        first, second = await mint(http, plain), await mint(http, plain)
        unforced = await http.post(rest(wire.AUTH_TOKENS, uid=UID), json={}, headers=key(plain))
        assert len({first, second, unforced.json()["data"][wire.F_AUTH_TOKEN]}) == 3
    reuse = MockConfig(reuse_token_without_force=True)
    async with client(create_mock_app(reuse)) as http:
        first = await mint(http, reuse)
        unforced = await http.post(
            rest(wire.AUTH_TOKENS, uid=UID), json={"force": "false"}, headers=key(reuse)
        )
        assert unforced.json()["data"][wire.F_AUTH_TOKEN] == first
        assert await mint(http, reuse) != first


async def test_list_get_update_delete() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        tokens = [await mint(http, config) for _ in range(3)]
        listed = (await http.get(rest(wire.AUTH_TOKENS, uid=UID), headers=key(config))).json()
        assert [t[wire.F_AUTH_TOKEN] for t in listed["data"]] == tokens
        assert listed["meta"]["pagination"]["total"] == 3
        one = rest(wire.AUTH_TOKEN, uid=UID, auth_token=tokens[0])
        assert (await http.get(one, headers=key(config))).json()["data"][wire.F_AUTH_TOKEN] == tokens[0]
        updated = await http.put(one, json={"platform": "ios", "userAgent": "x"}, headers=key(config))
        assert updated.json()["data"]["uid"] == UID
        deleted = await http.delete(one, headers=key(config))
        assert deleted.json()["data"]["success"] is True
        gone = await http.get(one, headers=key(config))
        assert gone.status_code == 404 and code(gone) == wire.ERR_AUTH_TOKEN_NOT_FOUND
        login = await http.put(me(), json={}, headers=token(config, tokens[0]))
        assert code(login) == wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND


async def test_token_of_another_user_is_not_accessible() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        other = await mint(http, config, "cometchat-uid-2")
        reply = await http.get(rest(wire.AUTH_TOKEN, uid=UID, auth_token=other), headers=key(config))
        assert reply.status_code == 403 and code(reply) == wire.ERR_AUTHTOKEN_NOT_ACCESSIBLE


async def test_flush_invalidates_every_token_at_once() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        tokens = [await mint(http, config) for _ in range(2)]
        flushed = await http.delete(rest(wire.AUTH_TOKENS, uid=UID), headers=key(config))
        assert flushed.json()["data"]["message"] == f"Cleared Auth Tokens successfully for uid {UID}."
        for value in tokens:
            assert (
                code(await http.put(me(), json={}, headers=token(config, value)))
                == wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND
            )
        assert (await http.get(rest(wire.AUTH_TOKENS, uid=UID), headers=key(config))).json()["data"] == []


async def test_only_the_newest_tokens_are_kept() -> None:
    config = MockConfig(tokens_kept_per_user=3)
    async with client(create_mock_app(config)) as http:
        tokens = [await mint(http, config) for _ in range(4)]
        assert (
            code(await http.put(me(), json={}, headers=token(config, tokens[0])))
            == wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND
        )
        for value in tokens[1:]:
            assert (await http.put(me(), json={}, headers=token(config, value))).status_code == 200
        listed = (await http.get(rest(wire.AUTH_TOKENS, uid=UID), headers=key(config))).json()["data"]
        assert [t[wire.F_AUTH_TOKEN] for t in listed] == tokens[1:]


async def test_default_window_is_the_reference_100() -> None:
    assert MockConfig().tokens_kept_per_user == wire.TOKENS_KEPT_PER_USER == 100
