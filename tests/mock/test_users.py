"""REST users: create, get, list, update, delete, deactivate, reactivate."""

from __future__ import annotations

import pytest
from mock_helpers import client, code, key, rest

from authload.mock import MockConfig, create_mock_app
from authload.protocol import wire

pytestmark = pytest.mark.anyio


async def test_create_lowercases_uid_and_returns_the_user() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        reply = await http.post(
            rest(wire.USERS), json={"uid": "Super_Hero-6", "name": "Barry"}, headers=key(config)
        )
        assert reply.status_code == 200
        data = reply.json()["data"]
        assert data["uid"] == "super_hero-6"
        assert data["name"] == "Barry" and data["role"] == "default" and data["status"] == "offline"
        assert wire.F_AUTH_TOKEN not in data
        got = await http.get(rest(wire.USER, uid="super_hero-6"), headers=key(config))
        assert got.json()["data"] == data


async def test_create_with_auth_token() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        body = {"uid": "a1", "name": "A", "withAuthToken": True, "tags": ["x"], "metadata": {"k": 1}}
        data = (await http.post(rest(wire.USERS), json=body, headers=key(config))).json()["data"]
        assert data[wire.F_AUTH_TOKEN].startswith("a1_")
        assert data["tags"] == ["x"] and data["metadata"] == {"k": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "n"}, "uid"),
        ({"uid": "a"}, "name"),
        ({"uid": "a b", "name": "n"}, "uid"),
        ({"uid": "a@b", "name": "n"}, "uid"),
        ({"uid": "ab\n", "name": "n"}, "uid"),  # a `$`-anchored check lets a final newline through
        ({"uid": "a" * 101, "name": "n"}, "uid"),
        ({"uid": "a", "name": "n" * 101}, "name"),
        ({"uid": 5, "name": "n"}, "uid"),
        ({"uid": "a", "name": "n", "tags": "t"}, "tags"),
        ({"uid": "a", "name": "n", "metadata": [1]}, "metadata"),
        ({"uid": "a", "name": "n", "metadata": {"x": "y" * 6000}}, "metadata"),
        ({"uid": "a", "name": "n", "avatar": 3}, "avatar"),
    ],
)
async def test_create_validation_is_laravel_style(body: dict[str, object], field: str) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        reply = await http.post(rest(wire.USERS), json=body, headers=key(config))
        assert reply.status_code == 400
        error = reply.json()["error"]
        assert error["code"] == wire.ERR_BAD_REQUEST and error["source"] == "chat-api"
        assert error["message"] == wire.ERROR_MESSAGES[wire.ERR_BAD_REQUEST]
        assert field in error["details"] and isinstance(error["details"][field], list)


async def test_uid_of_exactly_100_chars_is_fine_and_bodies_over_the_limit_are_not() -> None:
    config = MockConfig(max_body_bytes=200)
    async with client(create_mock_app(config)) as http:
        ok = await http.post(rest(wire.USERS), json={"uid": "a" * 100, "name": "n"}, headers=key(config))
        assert ok.status_code == 200
        big = await http.post(rest(wire.USERS), json={"uid": "b", "name": "n" * 300}, headers=key(config))
        assert big.status_code == 413 and code(big) == wire.ERR_BAD_REQUEST
        assert big.json()["error"]["details"] == {"body": ["The body may not be greater than 200 bytes."]}


async def test_malformed_json_and_non_object_bodies() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        bad = await http.post(rest(wire.USERS), content=b"{nope", headers=key(config))
        assert code(bad) == wire.ERR_BAD_REQUEST
        array = await http.post(rest(wire.USERS), json=[1], headers=key(config))
        assert code(array) == wire.ERR_BAD_REQUEST


async def test_unknown_role_and_known_role() -> None:
    config = MockConfig(roles=("default", "manager"))
    async with client(create_mock_app(config)) as http:
        bad = await http.post(
            rest(wire.USERS), json={"uid": "r", "name": "n", "role": "boss"}, headers=key(config)
        )
        assert bad.status_code == 404 and code(bad) == wire.ERR_ROLE_NOT_FOUND
        ok = await http.post(
            rest(wire.USERS), json={"uid": "r", "name": "n", "role": "manager"}, headers=key(config)
        )
        assert ok.json()["data"]["role"] == "manager"


@pytest.mark.parametrize("status", [400, 409])
async def test_duplicate_uid_status_is_configurable(status: int) -> None:
    config = MockConfig.model_validate({"statuses": {wire.ERR_UID_ALREADY_EXISTS: status}})
    async with client(create_mock_app(config)) as http:
        reply = await http.post(
            rest(wire.USERS), json={"uid": "COMETCHAT-UID-1", "name": "x"}, headers=key(config)
        )
        assert reply.status_code == status and code(reply) == wire.ERR_UID_ALREADY_EXISTS
        assert "cometchat-uid-1" in reply.json()["error"]["message"]


async def test_sample_users_are_seeded_or_not() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        users = (await http.get(rest(wire.USERS), headers=key(config))).json()["data"]
        assert [(u["uid"], u["name"]) for u in users] == [tuple(pair) for pair in wire.SAMPLE_USERS]
        assert users[0]["avatar"] == wire.SAMPLE_AVATAR.format(uid="cometchat-uid-1")
    empty = MockConfig(seed_sample_users=False)
    async with client(create_mock_app(empty)) as http:
        assert (await http.get(rest(wire.USERS), headers=key(empty))).json()["data"] == []


async def test_get_unknown_user() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        reply = await http.get(rest(wire.USER, uid="ghost"), headers=key(config))
        assert reply.status_code == 404 and code(reply) == wire.ERR_UID_NOT_FOUND
        assert reply.json()["error"]["message"] == wire.ERROR_MESSAGES[wire.ERR_UID_NOT_FOUND].format(
            uid="ghost"
        )


async def test_list_paginates_and_filters() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        page = await http.get(rest(wire.USERS), params={"perPage": 2, "page": 3}, headers=key(config))
        body = page.json()
        assert [u["uid"] for u in body["data"]] == ["cometchat-uid-5"]
        assert body["meta"]["pagination"] == {
            "total": 5,
            "count": 1,
            "per_page": 2,
            "current_page": 3,
            "total_pages": 3,
        }
        found = await http.get(rest(wire.USERS), params={"searchKey": "nancy"}, headers=key(config))
        assert [u["uid"] for u in found.json()["data"]] == ["cometchat-uid-3"]
        for bad in ({"perPage": 1001}, {"perPage": "x"}, {"page": 0}):
            reply = await http.get(rest(wire.USERS), params=bad, headers=key(config))
            assert code(reply) == wire.ERR_BAD_REQUEST


async def test_update_changes_fields_and_unsets() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        path = rest(wire.USER, uid="cometchat-uid-2")
        reply = await http.put(
            path, json={"name": "G", "link": "http://x", "unset": ["avatar"]}, headers=key(config)
        )
        data = reply.json()["data"]
        assert (
            data["name"] == "G"
            and data["link"] == "http://x"
            and "avatar" not in data
            and "updatedAt" in data
        )
        bad = await http.put(path, json={"unset": ["name"]}, headers=key(config))
        assert code(bad) == wire.ERR_BAD_REQUEST
        ghost = await http.put(rest(wire.USER, uid="ghost"), json={"name": "x"}, headers=key(config))
        assert code(ghost) == wire.ERR_UID_NOT_FOUND


@pytest.mark.parametrize("permanent", [False, "false", "0"])
async def test_soft_delete_keeps_the_uid_taken(permanent: object) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        path = rest(wire.USER, uid="cometchat-uid-1")
        reply = await http.request("DELETE", path, json={"permanent": permanent}, headers=key(config))
        assert reply.json()["data"] == {
            "success": True,
            "message": "User with cometchat-uid-1 has been deleted successfully.",
        }
        assert code(await http.get(path, headers=key(config))) == wire.ERR_UID_NOT_FOUND
        again = await http.post(
            rest(wire.USERS), json={"uid": "cometchat-uid-1", "name": "x"}, headers=key(config)
        )
        assert code(again) == wire.ERR_UID_ALREADY_EXISTS
        twice = await http.request("DELETE", path, json={"permanent": permanent}, headers=key(config))
        assert code(twice) == wire.ERR_UID_NOT_FOUND


@pytest.mark.parametrize("permanent", [True, "true"])
async def test_permanent_delete_frees_the_uid(permanent: object) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        path = rest(wire.USER, uid="cometchat-uid-1")
        await http.request("DELETE", path, json={"permanent": False}, headers=key(config))
        gone = await http.request("DELETE", path, json={"permanent": permanent}, headers=key(config))
        assert gone.status_code == 200
        again = await http.post(
            rest(wire.USERS), json={"uid": "cometchat-uid-1", "name": "x"}, headers=key(config)
        )
        assert again.status_code == 200
        missing = await http.request(
            "DELETE", rest(wire.USER, uid="nobody"), json={"permanent": True}, headers=key(config)
        )
        assert code(missing) == wire.ERR_UID_NOT_FOUND


async def test_deactivate_and_reactivate() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        body = {"uidsToDeactivate": ["cometchat-uid-2", "ghost"]}
        off = await http.request("DELETE", rest(wire.USERS), json=body, headers=key(config))
        assert off.json()["data"] == {"deactivatedUids": ["cometchat-uid-2"]}
        assert (
            code(await http.get(rest(wire.USER, uid="cometchat-uid-2"), headers=key(config)))
            == wire.ERR_UID_NOT_FOUND
        )
        listed = await http.get(rest(wire.USERS), params={"onlyDeactivated": "true"}, headers=key(config))
        assert [u["uid"] for u in listed.json()["data"]] == ["cometchat-uid-2"]
        assert "deactivatedAt" in listed.json()["data"][0]
        on = await http.put(
            rest(wire.USERS), json={"uidsToActivate": ["cometchat-uid-2"]}, headers=key(config)
        )
        assert on.json()["data"] == {"nonDeactivatedUids": ["cometchat-uid-2"]}
        assert (
            await http.get(rest(wire.USER, uid="cometchat-uid-2"), headers=key(config))
        ).status_code == 200
        empty = await http.put(rest(wire.USERS), json={}, headers=key(config))
        assert code(empty) == wire.ERR_BAD_REQUEST
