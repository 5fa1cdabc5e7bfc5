"""Baseline for bench_flow_overhead: a bare FastHttpUser doing authload's 12-request sign-up flow.

Like for like with authload's `create_user, create_auth_token, 5 x (login_auth_token, logout)`:
the same requests with the same headers (Accept, Content-Type, appId, sdk, then apiKey or
authToken) and bodies, each JSON reply decoded and its `data` checked, one Locust `request`
event (and stats entry) per request under the step's name. No authload code is imported.
The client is FastHttpUser's default (with its cookie jar): the baseline a Locust user writes.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

import gevent
from locust import FastHttpUser, constant, task

_APP = os.environ["BENCH_APP_ID"]
_KEY = os.environ["BENCH_API_KEY"]
_RUN = os.environ.get("BENCH_RUN", "bare")
_PAUSE_S = float(os.environ.get("BENCH_PAUSE_S", "0"))  # authload's `{pause: ...}` step, when paced
_next = itertools.count()
_COMMON = {
    "Accept": "application/json",
    "Content-Type": "application/json",
    "appId": _APP,
    "sdk": "authload@0.1",
}
_REST = {**_COMMON, "apiKey": _KEY}
_DEVICE = json.dumps(
    {"platform": "WEB", "appInfo": {"version": "authload", "apiVersion": "v3.0"}}, separators=(",", ":")
).encode()
_FORCE = b'{"force":true}'
_decode = json.JSONDecoder().decode


def _data(reply: Any) -> Any:
    """The `data` of a success envelope (None if the reply was not one)."""
    try:
        payload = _decode(reply.content.decode())
    except ValueError:
        return None
    return payload.get("data") if isinstance(payload, dict) else None


class BareSignupFlow(FastHttpUser):
    wait_time = constant(0)

    @task
    def cycle(self) -> None:
        client = self.client
        uid = f"bench-{_RUN}-{next(_next)}"
        body = json.dumps({"uid": uid, "name": f"Load {uid}"}, separators=(",", ":")).encode()
        user = _data(client.post("/v3/users", data=body, headers=_REST, name="create_user"))
        if not isinstance(user, dict) or not isinstance(user.get("uid"), str):
            return
        path = f"/v3/users/{uid}/auth_tokens"
        minted = _data(client.post(path, data=_FORCE, headers=_REST, name="create_auth_token"))
        if not isinstance(minted, dict) or not isinstance(minted.get("authToken"), str):
            return
        headers = {**_COMMON, "authToken": minted["authToken"]}
        for _ in range(5):
            session = _data(client.put("/v3.0/me", data=_DEVICE, headers=headers, name="login_auth_token"))
            if not isinstance(session, dict) or not isinstance(session.get("uid"), str):
                return
            _data(client.delete("/v3.0/me", headers=headers, name="logout"))
        if _PAUSE_S:
            gevent.sleep(random.uniform(_PAUSE_S, _PAUSE_S))  # as authload's pause step sleeps
