"""Which transport should provision users? Measured, not assumed. (issue 8: 100,000 users)

Creates N users (POST /v3/users) against one mock on loopback, with 32
requests in flight, through: authload's provisioning path (FastDriver: the lean
HTTP/1.1 client under a gevent pool, what `test_start` uses), aiohttp when it
is installed (`pip install aiohttp`: for this benchmark only, not a dependency
of authload), and httpx.AsyncClient at small counts (it makes ~150 users/s, so
it runs only up to 5,000 users unless --httpx). Each transport runs in its own
process (gevent patches the interpreter), pinned to core 0 with the mock on
core 1 (os.sched_setaffinity). The mock is reset before each measurement, so each
transport fills an empty store (the mock slows as it holds more users); rounds
alternate the order (ABBA). Prints users created per second, mean and spread,
and the ratio to raw aiohttp (goal >= 0.9).

    pip install aiohttp
    python3 bench/bench_provisioning.py [--users 100000] [--concurrency 32] [--rounds 2] [--httpx]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

from authload import MockConfig, MockProcess

GEVENT = """
import json, sys, time
import locust  # a Locust process: gevent's monkey patching, as in a real run
from authload.locust.run._setup import provision
from authload.pool import Silent
from authload.scenario import Identities, Target
target = Target(**json.loads(sys.argv[1]))
spec = Identities(count=int(sys.argv[2]), uid_prefix=sys.argv[3], tokens="in_flow", concurrency=int(sys.argv[4]))
started = time.perf_counter()
outcome = provision(spec, target, Silent(), None, None)
assert not outcome.errors, outcome.errors
print(len(outcome.identities) / (time.perf_counter() - started))
"""

HTTPX = """
import asyncio, json, sys, time
import httpx
from authload import protocol as p
target = json.loads(sys.argv[1]); count, prefix, limit = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
app = p.App(target["app_id"])
async def main():
    gate = asyncio.Semaphore(limit)
    async with httpx.AsyncClient(base_url=target["rest_base_url"], limits=httpx.Limits(max_connections=limit)) as client:
        async def one(i):
            request = next(p.create_user(app, target["rest_api_key"], f"{prefix}{i}", "Bench"))
            async with gate:
                reply = await client.request(request.method, request.path, headers=request.headers, content=request.body)
            assert reply.status_code == 200, reply.text
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        return count / (time.perf_counter() - started)
print(asyncio.run(main()))
"""

AIOHTTP = """
import asyncio, json, sys, time
import aiohttp
from authload import protocol as p
target = json.loads(sys.argv[1]); count, prefix, limit = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
app = p.App(target["app_id"])
async def main():
    gate = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit)) as session:
        async def one(i):
            request = next(p.create_user(app, target["rest_api_key"], f"{prefix}{i}", "Bench"))
            async with gate:
                async with session.request(request.method, target["rest_base_url"] + request.path,
                                           headers=dict(request.headers), data=request.body) as reply:
                    await reply.read()
                    assert reply.status == 200
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        return count / (time.perf_counter() - started)
print(asyncio.run(main()))
"""


def measure(code: str, target: dict[str, object], users: int, prefix: str, concurrency: int) -> float:
    command = [sys.executable, "-c", code, json.dumps(target), str(users), prefix, str(concurrency)]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120 + users / 100,
        preexec_fn=lambda: os.sched_setaffinity(0, {0}),
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each (ABBA order)")
    parser.add_argument("--httpx", action="store_true", help="also httpx above 5,000 users (slow)")
    options = parser.parse_args()
    transports = {"authload (gevent, lean HTTP/1.1)": GEVENT}
    if options.httpx or options.users <= 5000:
        transports["httpx.AsyncClient"] = HTTPX
    try:
        import aiohttp  # noqa: F401

        transports["aiohttp"] = AIOHTTP
    except ImportError:
        pass
    config = MockConfig()
    rates: dict[str, list[float]] = {name: [] for name in transports}
    with MockProcess(config) as mock:
        assert mock.pid is not None
        os.sched_setaffinity(mock.pid, {1})
        target = {
            "app_id": config.app_id,
            "rest_base_url": mock.base_url,
            "client_base_url": mock.base_url,
            "rest_api_key": config.rest_api_key,
            "auth_key": config.auth_key,
        }
        names = list(transports)
        for round_ in range(options.rounds):
            for name in names if round_ % 2 == 0 else names[::-1]:
                reset = urllib.request.Request(f"{mock.base_url}/_mock/reset", data=b"{}", method="POST")
                urllib.request.urlopen(reset, timeout=60).close()
                prefix = f"prov{names.index(name)}-{round_}-{int(time.time())}-"
                rate = measure(transports[name], target, options.users, prefix, options.concurrency)
                rates[name].append(rate)
                print(f"round {round_} {name:38s} {rate:8.0f} users/s (load avg {os.getloadavg()[0]:.2f})")
    mean = {name: statistics.fmean(values) for name, values in rates.items()}
    base = mean[names[0]]
    print(f"{options.users} users, {options.concurrency} in flight, {options.rounds} rounds")
    for name, values in rates.items():
        spread = f"{min(values):.0f}-{max(values):.0f}"
        print(f"{name:38s} {mean[name]:8.0f} users/s ({spread})   ratio to authload {mean[name] / base:.2f}")
    if "aiohttp" in rates:
        print(f"authload / raw aiohttp: {base / mean['aiohttp']:.2f} (goal >= 0.9)")
    else:
        print("aiohttp is not installed (pip install aiohttp): no ratio to raw aiohttp")


if __name__ == "__main__":
    main()
