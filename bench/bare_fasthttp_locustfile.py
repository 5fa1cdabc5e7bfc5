"""Baseline for bench_flow_overhead: a bare FastHttpUser making the HTTP requests of
a `login_auth_token` + `logout` cycle (PUT /v3.0/me, DELETE /v3.0/me), no authload code."""

from __future__ import annotations

import itertools
import json
import os

from locust import FastHttpUser, constant, task

_TOKENS = json.loads(os.environ["BENCH_TOKENS"])
_APP = os.environ["BENCH_APP_ID"]
_next = itertools.count()
_BODY = json.dumps({"platform": "WEB", "appInfo": {"version": "bench", "apiVersion": "v3.0"}})


class BareLoginLogout(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        token = _TOKENS[next(_next) % len(_TOKENS)]
        self.headers = {
            "appId": _APP,
            "authToken": token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    @task
    def cycle(self) -> None:
        self.client.put("/v3.0/me", data=_BODY, headers=self.headers, name="login_auth_token")
        self.client.delete("/v3.0/me", headers=self.headers, name="logout")
