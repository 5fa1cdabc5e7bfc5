"""Is the mock ever the bottleneck of a load run? Three rates, measured side by side.

1. `baseline`: a trivial ASGI endpoint (`{"data":{}}`), served exactly as the mock is
   (`authload.mock._server.serve_app`: one uvicorn process, same options);
2. `mock PUT /me`: the mock's login hot path, same server stack, same load generator;
3. `fasthttp`: what one Locust FastHttpSession process (geventhttpclient, a gevent pool)
   can generate against the mock's `PUT /me`.

With two or more cores, every server is pinned to core 0 and every generator to
core 1, so each side has one core. (1) and (2) use a raw-socket keep-alive
generator that is much cheaper per request than the servers; its CPU use is
printed, so a saturated generator would show. Rounds alternate (1) and (2).
The goal is `mock / baseline >= 0.7`, and (2) well above (3).

    /work/venv/bin/python bench/bench_mock.py            # about 40 s, loopback only
    /work/venv/bin/python bench/bench_mock.py --duration 2 --rounds 1   # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from authload.mock import MockConfig, MockProcess
from authload.protocol import wire

SERVER_CPU, LOAD_CPU = 0, 1
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- servers ----------------------------------------------------------------------


async def trivial_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The baseline: drain the body, answer a fixed JSON body."""
    if scope["type"] != "http":
        return
    message = await receive()
    while message.get("more_body"):
        message = await receive()
    body = b'{"data":{}}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"11")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve_trivial() -> None:
    """Child process: serve `trivial_app`, print the base URL."""
    from authload.mock._server import serve_app

    def ready(url: str) -> None:
        print(json.dumps({"base_url": url}), flush=True)

    serve_app(trivial_app, "127.0.0.1", 0, ready)


def pin(pid: int, cpu: int) -> None:
    """Pin a process to one core, when there are two or more."""
    if (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(pid, {cpu})


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the raw keep-alive generator (1, 2) ------------------------------------------------


def raw_load(base_url: str, request: bytes, connections: int, duration: float) -> tuple[float, float]:
    """Requests/s with `connections` keep-alive sockets, one request in flight each; and our CPU use."""
    host, port = base_url.removeprefix("http://").split(":")
    selector = selectors.DefaultSelector()
    for _ in range(connections):
        sock = socket.create_connection((host, int(port)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        selector.register(sock, selectors.EVENT_READ, bytearray())
    done, errors = 0, 0
    cpu0, start = _own_cpu(), time.perf_counter()
    end = start + duration
    while time.perf_counter() < end:
        for key, _ in selector.select(0.5):
            sock, buffer = key.fileobj, key.data
            assert isinstance(sock, socket.socket)
            buffer += sock.recv(65536)
            while True:
                complete = _complete_response(buffer)
                if complete == 0:
                    break
                if not buffer.startswith(b"HTTP/1.1 200"):
                    errors += 1
                del buffer[:complete]
                done += 1
                sock.sendall(request)
    elapsed = time.perf_counter() - start
    load = (_own_cpu() - cpu0) / elapsed
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    if errors:
        print(f"  !! {errors} non-200 replies", file=sys.stderr)
    return done / elapsed, load


def _complete_response(buffer: bytearray) -> int:
    """Length of the first complete response in `buffer`, or 0."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return 0
    at = buffer.find(b"content-length:", 0, head_end)
    length = int(buffer[at + 15 : buffer.find(b"\r\n", at)]) if at >= 0 else 0
    total = head_end + 4 + length
    return total if len(buffer) >= total else 0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the Locust FastHttpSession generator (3) -------------------------------------------------


def fasthttp_load(base_url: str, token: str, app_id: str, users: int, duration: float) -> None:
    """Child process: `users` greenlets, each with its own FastHttpSession, looping PUT /me."""
    from gevent import monkey

    monkey.patch_all()
    import gevent
    from locust.contrib.fasthttp import FastHttpSession
    from locust.event import EventHook

    event = EventHook()
    counts = {"ok": 0, "failed": 0}
    headers = {**wire.JSON_HEADERS, wire.H_APP_ID: app_id, wire.H_AUTH_TOKEN: token}
    path = wire.client_path(wire.ME)
    end = time.perf_counter() + duration + 0.3  # + the time to spawn the users

    def user() -> None:
        session = FastHttpSession(base_url, event, user=None)
        while time.perf_counter() < end:
            reply = session.request("PUT", path, data=_SDK_BODY, headers=headers)
            counts["ok" if reply.status_code == 200 else "failed"] += 1

    cpu0, start = _own_cpu(), time.perf_counter()
    gevent.joinall([gevent.spawn(user) for _ in range(users)])
    elapsed = time.perf_counter() - start
    cpu = (_own_cpu() - cpu0) / elapsed
    print(json.dumps({"rate": counts["ok"] / elapsed, "failed": counts["failed"], "cpu": cpu}))


_SDK_BODY = json.dumps(
    {
        "platform": "WEB",
        "deviceId": "authload-mock_bench_1795847972298",
        "appInfo": {"version": "v4.2.0", "apiVersion": "v3.0", "userAgent": "bench"},
    }
).encode()


# --- orchestration ----------------------------------------------------------------------------


def _http_request(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _mint_token(mock: MockProcess) -> str:
    headers = {**wire.JSON_HEADERS, wire.H_API_KEY: mock.config.rest_api_key}
    path = wire.rest_path(wire.AUTH_TOKENS, uid=wire.SAMPLE_USERS[0][0])
    request = urllib.request.Request(mock.base_url + path, data=b"{}", headers=headers, method="POST")
    with _OPENER.open(request) as reply:
        return str(json.loads(reply.read())["data"][wire.F_AUTH_TOKEN])


def _spawn(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, os.path.abspath(__file__), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def _measure(label: str, run: Callable[[], tuple[float, float]], server_pid: int) -> float:
    server0, start = cpu_seconds(server_pid), time.perf_counter()
    rate, load_cpu = run()
    server_cpu = (cpu_seconds(server_pid) - server0) / (time.perf_counter() - start)
    print(f"  {label:<26} {rate:>9,.0f} req/s   server cpu {server_cpu:4.0%}   generator cpu {load_cpu:4.0%}")
    return rate


def main() -> None:
    """Run the three measurements and print the figures."""
    parser = argparse.ArgumentParser(description="mock vs baseline vs Locust FastHttpSession")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="alternating baseline/mock rounds")
    parser.add_argument("--connections", type=int, default=32, help="raw generator connections")
    parser.add_argument("--users", type=int, default=64, help="FastHttpSession greenlets")
    args = parser.parse_args()
    pin(os.getpid(), LOAD_CPU)
    trivial = _spawn("_serve_trivial")
    assert trivial.stdout is not None
    trivial_url = json.loads(trivial.stdout.readline())["base_url"]
    pin(trivial.pid, SERVER_CPU)
    with MockProcess(MockConfig()) as mock:
        assert mock.pid is not None
        pin(mock.pid, SERVER_CPU)
        token = _mint_token(mock)
        app_id = mock.config.app_id
        me = _http_request(
            "PUT", wire.client_path(wire.ME), {wire.H_APP_ID: app_id, wire.H_AUTH_TOKEN: token}, _SDK_BODY
        )
        plain = _http_request("PUT", "/", {wire.H_APP_ID: app_id}, _SDK_BODY)
        print(f"cores: {os.cpu_count()}  servers on core {SERVER_CPU}, generators on core {LOAD_CPU}")
        raw_load(mock.base_url, me, args.connections, 0.5)  # warm-up: caches, JIT-free but page-in
        baseline, mocked = [], []
        for index in range(args.rounds):
            print(f"round {index + 1}")
            run_base = lambda: raw_load(trivial_url, plain, args.connections, args.duration)  # noqa: E731
            run_mock = lambda: raw_load(mock.base_url, me, args.connections, args.duration)  # noqa: E731
            baseline.append(_measure("(1) baseline trivial", run_base, trivial.pid))
            mocked.append(_measure("(2) mock PUT /v3.0/me", run_mock, mock.pid))
        fast = _spawn("_fasthttp", mock.base_url, token, app_id, str(args.users), str(args.duration))
        pin(fast.pid, LOAD_CPU)
        out, _ = fast.communicate()
        result = json.loads(out.strip().splitlines()[-1])
    trivial.terminate()
    trivial.wait()
    best_base, best_mock = max(baseline), max(mocked)
    # Adjacent pairs share the machine's state; their median ratio resists noise best.
    paired = statistics.median(m / b for b, m in zip(baseline, mocked, strict=True))
    print(f"  (3) Locust FastHttpSession  {result['rate']:>9,.0f} req/s   generator cpu {result['cpu']:4.0%}")
    best = best_mock / best_base
    print(f"ratio mock/baseline: median of {args.rounds} paired rounds {paired:.2f}, best-of {best:.2f}")
    print("  (goal >= 0.70; other work on the machine shows as server cpu < 100%)")
    print(f"mock capacity / one FastHttpSession process: {best_mock / result['rate']:.1f}x")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve_trivial":
        serve_trivial()
    elif len(sys.argv) > 1 and sys.argv[1] == "_fasthttp":
        url, token, app, users, seconds = sys.argv[2:7]
        fasthttp_load(url, token, app, int(users), float(seconds))
    else:
        main()
