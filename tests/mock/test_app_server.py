"""The sample app server (`/app/login`): its own session, sign-up, tokens that log in, counters, faults."""

from __future__ import annotations

import pytest
from mock_helpers import client, code, me, stats, token

from authload.mock import MockConfig, create_mock_app
from authload.protocol import wire

pytestmark = pytest.mark.anyio
LOGIN = wire.APP_PREFIX + wire.APP_LOGIN


def session(config: MockConfig) -> dict[str, str]:
    return {wire.H_AUTHORIZATION: wire.BEARER + config.app_secret}


async def test_signs_up_then_hands_out_tokens_that_log_in() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        first = await http.post(LOGIN, json={"uid": "New-User"}, headers=session(config))
        assert first.status_code == 200
        data = first.json()[wire.F_COMETCHAT]  # the app's own shape: no CometChat `data` envelope
        assert data[wire.F_UID] == "new-user" and data[wire.F_CREATED] is True
        again = (await http.post(LOGIN, json={"uid": "new-user"}, headers=session(config))).json()
        assert again[wire.F_COMETCHAT][wire.F_CREATED] is False
        assert again[wire.F_COMETCHAT][wire.F_AUTH_TOKEN] != data[wire.F_AUTH_TOKEN]
        login = await http.put(me(), json={}, headers=token(config, data[wire.F_AUTH_TOKEN]))
        assert login.status_code == 200 and login.json()["data"][wire.F_UID] == "new-user"
        counts = await stats(http)
        assert counts["routes"]["app.login"]["requests"] == 2
        assert counts["routes"]["app.login"]["status"] == {"200": 2}


@pytest.mark.parametrize("header", [None, "Bearer wrong", "bearer {secret}", "{secret}"])
async def test_the_app_session_is_checked(header: str | None) -> None:
    config = MockConfig()
    headers = {} if header is None else {wire.H_AUTHORIZATION: header.format(secret=config.app_secret)}
    async with client(create_mock_app(config)) as http:
        reply = await http.post(LOGIN, json={"uid": "someone"}, headers=headers)
        assert reply.status_code == 401 and code(reply) == wire.APP_UNAUTHORIZED
        assert config.app_secret not in reply.text
        assert (await stats(http))["store"]["users"] == 5  # the sample users only: nobody signed up


@pytest.mark.parametrize("body", [{}, {"uid": "bad uid!"}, {"uid": ""}])
async def test_a_bad_uid_is_refused(body: dict[str, str]) -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        reply = await http.post(LOGIN, json=body, headers=session(config))
        assert reply.status_code == 400 and code(reply) == wire.ERR_BAD_REQUEST


async def test_no_app_id_is_needed_and_faults_apply() -> None:
    config = MockConfig.model_validate(
        {"accept_missing_app_id": False, "faults": [{"kind": "error", "route": "app.login", "status": 503}]}
    )
    async with client(create_mock_app(config)) as http:
        reply = await http.post(LOGIN, json={"uid": "u"}, headers=session(config))
        assert reply.status_code == 503
        assert (await stats(http))["routes"]["app.login"]["faults"] == {"error": 1}


async def test_the_app_secret_is_not_in_the_public_config() -> None:
    config = MockConfig()
    async with client(create_mock_app(config)) as http:
        assert config.app_secret not in (await http.get("/_mock/config")).text
