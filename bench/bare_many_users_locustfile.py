"""Baseline for bench_many_users: a bare FastHttpUser doing `login_auth_token`, a 5-10 s pause,
`logout`, a 5-10 s pause, as authload's flow does; no authload code.

Each user creates its own user and token in `on_start` (named `setup`, left out of the figures).
"""

from __future__ import annotations

import itertools
import json
import os
import random

import gevent
from locust import FastHttpUser, constant, task

_APP = os.environ["BENCH_APP_ID"]
_KEY = os.environ["BENCH_API_KEY"]
_next = itertools.count()
_BODY = json.dumps({"platform": "WEB", "appInfo": {"version": "bench", "apiVersion": "v3.0"}})


class BareManyUsers(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        uid = f"bare-{os.getpid()}-{next(_next)}"
        created = self.client.post(
            "/v3/users",
            data=json.dumps({"uid": uid, "name": uid, "withAuthToken": True}),
            headers={"appId": _APP, "apiKey": _KEY, "Content-Type": "application/json"},
            name="setup",
        )
        token = created.json()["data"]["authToken"]
        self.headers = {
            "appId": _APP,
            "authToken": token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    @task
    def cycle(self) -> None:
        self.client.put("/v3.0/me", data=_BODY, headers=self.headers, name="login_auth_token")
        gevent.sleep(random.uniform(5, 10))
        self.client.delete("/v3.0/me", headers=self.headers, name="logout")
        gevent.sleep(random.uniform(5, 10))
