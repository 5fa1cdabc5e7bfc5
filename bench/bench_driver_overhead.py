"""What does authload's protocol + driver path cost per request, without Locust's runner?

One greenlet, one mock on loopback (pinned to another core when it can be),
N cycles of `PUT /v3.0/me` + `DELETE /v3.0/me` made (1) with raw FastHttpSession
calls, as a bare FastHttpUser makes them, and (2) through authload's
`VirtualUser` steps and `FastDriver`, alternating rounds. Prints CPU µs per cycle
of each and their ratio. Complements bench_flow_overhead.py, which adds Locust's
events, statistics and scheduling.

    python3 bench/bench_driver_overhead.py [--cycles 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess

import locust  # noqa: F401  (gevent patching, as in a real run)
from locust.contrib.fasthttp import FastHttpSession
from locust.event import EventHook

from authload import AdminClient, MockConfig, MockProcess
from authload import protocol as p
from authload.locust.load._driver import FastDriver
from authload.protocol._steps import Credentials, Identity, VirtualUser


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    config = MockConfig()
    with MockProcess(config) as mock:
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            subprocess.run(["taskset", "-p", "-c", "1", str(mock.pid)], check=False, capture_output=True)
            os.sched_setaffinity(0, {0})
        with AdminClient(mock.base_url, app_id=config.app_id, api_key=config.rest_api_key) as admin:
            token = admin.create_auth_token("cometchat-uid-1").token
        raw = FastHttpSession(mock.base_url, request_event=EventHook(), user=None)
        headers = {"appId": config.app_id, "authToken": token, "Content-Type": "application/json"}
        body = json.dumps({"platform": "WEB", "appInfo": {"version": "bench", "apiVersion": "v3.0"}})
        driver = FastDriver({"rest": mock.base_url, "client": mock.base_url}, timeout=10)
        user = VirtualUser(
            p.App(config.app_id), Credentials(config.rest_api_key, config.auth_key), lambda: "x"
        )
        results: dict[str, list[float]] = {"raw FastHttpSession": [], "authload driver": []}
        for _ in range(options.rounds):
            started = cpu_seconds()
            for _ in range(options.cycles):
                raw.put("/v3.0/me", data=body, headers=headers)
                raw.delete("/v3.0/me", headers=headers)
            results["raw FastHttpSession"].append((cpu_seconds() - started) / options.cycles * 1e6)
            started = cpu_seconds()
            for _ in range(options.cycles):
                user.begin_cycle(Identity("cometchat-uid-1", token))
                driver.run(user.step("login_auth_token"))
                driver.run(user.step("logout"))
            results["authload driver"].append((cpu_seconds() - started) / options.cycles * 1e6)
    means = {name: sum(values) / len(values) for name, values in results.items()}
    for name, mean in means.items():
        print(f"{name:22s} {mean:7.0f} CPU µs per cycle (2 requests)")
    print(f"CPU ratio raw/authload: {means['raw FastHttpSession'] / means['authload driver']:.2f}")


if __name__ == "__main__":
    main()
