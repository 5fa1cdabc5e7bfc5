"""The real-time socket: auth frame with the /me JWT, ping/pong, counters."""

from __future__ import annotations

import json
import warnings

with warnings.catch_warnings():  # Starlette 1.x prefers `httpx2` for its TestClient; httpx works
    # (its StarletteDeprecationWarning, a UserWarning, is new in 1.x; the floor, 0.40, names an
    # anyio alias newer anyio deprecates)
    warnings.simplefilter("ignore", UserWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

from authload.mock import MockConfig, create_mock_app
from authload.protocol import wire


def _login(http: TestClient, config: MockConfig) -> dict[str, str]:
    path = wire.rest_path(wire.AUTH_TOKENS, uid="cometchat-uid-1")
    value = http.post(
        path, json={}, headers={wire.H_APP_ID: config.app_id, wire.H_API_KEY: config.rest_api_key}
    ).json()["data"][wire.F_AUTH_TOKEN]
    data = http.put(
        wire.client_path(wire.ME), json={}, headers={wire.H_APP_ID: config.app_id, wire.H_AUTH_TOKEN: value}
    ).json()["data"]
    return {"token": value, "jwt": data["jwt"]}


def _auth(jwt: str) -> str:
    return json.dumps(
        {
            "appId": "authload-mock",
            "deviceId": "d1",
            "type": "auth",
            "sender": "cometchat-uid-1",
            "body": {"auth": jwt},
        }
    )


def test_auth_ping_pong_and_counters() -> None:
    config = MockConfig()
    with TestClient(create_mock_app(config)) as http:
        session = _login(http, config)
        with http.websocket_connect("/") as ws:
            ws.send_text(_auth(session["jwt"]))
            assert ws.receive_json() == {
                "type": "auth",
                "appId": "authload-mock",
                "sender": "cometchat-uid-1",
                "deviceId": "d1",
                "body": {"code": "200", "status": "OK"},
            }
            ws.send_text(json.dumps({"action": "ping", "ack": "true"}))
            assert ws.receive_json() == {"action": "pong"}
            ws.send_text("not json")
            ws.send_bytes(json.dumps({"action": "ping"}).encode())
            assert ws.receive_json() == {"action": "pong"}
        counters = http.get("/_mock/stats").json()["websocket"]
        assert counters == {"connections": 1, "auth_ok": 1, "auth_failed": 0, "pings": 2, "other_frames": 1}


def test_auth_fails_for_forged_or_revoked_jwts() -> None:
    config = MockConfig()
    with TestClient(create_mock_app(config)) as http:
        session = _login(http, config)
        path = wire.rest_path(wire.AUTH_TOKEN, uid="cometchat-uid-1", auth_token=session["token"])
        http.delete(path, headers={wire.H_APP_ID: config.app_id, wire.H_API_KEY: config.rest_api_key})
        header, payload, _ = session["jwt"].split(".")
        with http.websocket_connect("/") as ws:
            for jwt in (session["jwt"], f"{header}.{payload}.forged", "", "garbage"):
                ws.send_text(_auth(jwt))
                assert ws.receive_json()["body"]["code"] == "401"
            ws.send_text(json.dumps({"type": "auth"}))
            assert ws.receive_json()["body"]["status"] == wire.AUTH_ERR_AUTH_TOKEN_NOT_FOUND
        assert http.get("/_mock/stats").json()["websocket"]["auth_failed"] == 5
