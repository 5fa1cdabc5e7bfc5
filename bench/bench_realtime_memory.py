"""Real-time connections in one load process: memory per open connection, connect+auth cost.

Opens COUNT real-time connections (the `connect_realtime` path: wsproto over a
gevent-patched socket, one keep-alive greenlet each) against a mock process on
loopback, all authenticated with one login's JWT, holds them open, and prints
the process's RSS before and after and per connection. `--client` picks the
candidate: `wsproto` (authload's), `websocket-client` (its blocking client over
the same patched sockets); `websockets`' sync client runs a thread per
connection and is not gevent-friendly, so it is not a candidate on the load path.

    python bench/bench_realtime_memory.py                    # 10,000 with authload's client
    python bench/bench_realtime_memory.py --count 2000 --client websocket-client

Both sides need a file descriptor per connection: the soft `ulimit -n` is
raised to the hard limit here (the mock child inherits it).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
import httpx  # noqa: E402

from authload import MockConfig, MockProcess  # noqa: E402
from authload.client import AdminClient, ChatSession  # noqa: E402
from authload.locust.load._realtime import RealtimeLink  # noqa: E402
from authload.protocol._realtime import RealtimePlan, plan_realtime  # noqa: E402


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed) if hard > 0 else needed, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < needed:
        raise SystemExit(f"ulimit -n is {soft}; {needed} connections need more (raise the hard limit)")


def _plan(mock: MockProcess, config: MockConfig) -> RealtimePlan:
    admin = AdminClient(mock.base_url, app_id=config.app_id, api_key=config.rest_api_key)
    token = admin.create_auth_token("cometchat-uid-1").token
    admin.close()
    chat = ChatSession(mock.base_url, app_id=config.app_id)
    chat.login(token)
    session = chat._state.current
    assert session is not None
    plan = chat._run(plan_realtime(chat._app, session, "bench", secure=False))
    chat.close()
    return plan


def _wsproto(plan: RealtimePlan) -> Callable[[], Any]:
    def open_one() -> Any:
        link = RealtimeLink(timeout=30)
        link.open(plan)
        return link

    return open_one


def _websocket_client(plan: RealtimePlan) -> Callable[[], Any]:
    import websocket  # websocket-client, over the same gevent-patched socket module

    def open_one() -> Any:
        ws = websocket.create_connection(plan.url.url, timeout=30)
        ws.send(plan.auth_frame)
        reply = ws.recv()
        assert '"200"' in reply, reply
        keeper = gevent.spawn(_serve, ws)  # answer pings, as the load path's link does
        return ws, keeper

    return open_one


def _serve(ws: Any) -> None:
    import websocket

    while ws.connected:
        ws.settimeout(15)
        try:
            ws.recv()
        except websocket.WebSocketTimeoutException:
            ws.send('{"action":"ping","ack":"true"}')
        except Exception:
            return


CLIENTS = {"wsproto": _wsproto, "websocket-client": _websocket_client}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--client", choices=sorted(CLIENTS), default="wsproto")
    parser.add_argument("--concurrency", type=int, default=200, help="connects in flight")
    args = parser.parse_args()
    _raise_fd_limit(args.count + 512)  # the mock child inherits it, for its own ends
    config = MockConfig()
    with MockProcess(config, startup_timeout=30) as mock:
        plan = _plan(mock, config)
        open_one = CLIENTS[args.client](plan)
        open_one()  # warm imports and code paths before measuring
        gc.collect()
        before = _rss_mb()
        pool = gevent.pool.Pool(args.concurrency)
        started = time.perf_counter()
        held = pool.map(lambda _: open_one(), range(args.count))
        seconds = time.perf_counter() - started
        gevent.sleep(1)  # let every keeper greenlet settle into its wait
        gc.collect()
        after = _rss_mb()
        stats = httpx.get(f"{mock.base_url}/_mock/stats").json()["websocket"]
        print(f"client           {args.client}")
        print(f"connections      {len(held)} open (mock auth_ok {stats['auth_ok'] - 1})")
        print(
            f"connect+auth     {seconds:.2f} s total, {seconds / args.count * 1e6:.0f} µs/connection "
            f"with {args.concurrency} in flight"
        )
        print(f"RSS              {before:.1f} MB before, {after:.1f} MB with them open")
        print(f"per connection   {(after - before) * 1024 / args.count:.1f} KB")


if __name__ == "__main__":
    main()
