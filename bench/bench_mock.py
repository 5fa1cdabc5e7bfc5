"""Is the mock ever the bottleneck of a load run? Its CPU per request, measured side by side.

1. `baseline`: a trivial ASGI endpoint (`{"data":{}}`) on plain uvicorn (its httptools
   protocol, uvloop, no access log): the stack people know, for scale;
2. `mock PUT /me`: the mock's login hot path (its own HTTP protocol, `mock/_protocol.py`),
   same load generator;
3. `flow`: authload's generator (a real headless Locust run of `locustfiles/auth_flow.py`)
   on the 12-request sign-up flow of `bench_flow_overhead.py`, 64 users, no pauses: the
   mock's CPU per request beside the generator's, over the same steady window. The goal
   (issue 19) is mock <= 0.5 x generator: one mock core outlasts two generator cores.
   The mock is not saturated here, so each request pays its own wake-up;
4. `capacity`: the same requests (authload's heads and bodies, fresh users and tokens) from
   the raw generator, the mock flat out: its capacity, beside the generator's rate in (3).

With two or more cores, every server is pinned to core 0 and every generator to
core 1, so each side has one core. (1), (2) and (4) use a raw-socket keep-alive
generator that is much cheaper per request than the servers; its CPU use is
printed, so a saturated generator would show. Rounds alternate (1) to (4),
the order reversed every other round; mean, spread and per-round ratios are printed.
This machine's neighbours come and go: compare figures of one run, not across runs.

    python3 bench/bench_mock.py            # about 4 minutes, loopback only
    python3 bench/bench_mock.py --duration 2 --rounds 1   # quick look
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from authload.mock import MockConfig, MockProcess
from authload.protocol import wire
from bench_flow_overhead import MockStats, authload_args, run_once

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
    """Child process: serve `trivial_app` on plain uvicorn, print the base URL."""
    import uvicorn

    from authload.mock._server import base_url, bind_socket

    sock = bind_socket("127.0.0.1", 0)
    sock.listen(2048)  # (uvicorn listens again: connections made before it starts just wait)
    print(json.dumps({"base_url": base_url(sock)}), flush=True)
    config = uvicorn.Config(
        trivial_app, http="httptools", access_log=False, log_level="warning", lifespan="off"
    )
    uvicorn.Server(config).run(sockets=[sock])


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
    return _close(selector, done, errors, start, cpu0)


_SERIALS = itertools.count(1)  # uids unique across calls: a mock may keep the users of the last


class _FlowConnection:
    """One raw connection replaying the 12-request flow with authload's own requests (the
    same heads and bodies as the generator sends: see `_flow_request`)."""

    __slots__ = ("sock", "buffer", "step", "uid", "token")

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer, self.step, self.uid, self.token = sock, bytearray(), 0, "", ""


def raw_flow_load(
    base_url: str, app_id: str, api_key: str, connections: int, duration: float
) -> tuple[float, float]:
    """Like `raw_load`, on the 12-request flow: each connection creates a user, mints its
    token, logs in and out five times, then starts over with a new user."""
    host, port = base_url.removeprefix("http://").split(":")
    selector = selectors.DefaultSelector()
    for _ in range(connections):
        flow = _FlowConnection(socket.create_connection((host, int(port))))
        flow.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        flow.uid = f"capacity-{os.getpid()}-{next(_SERIALS)}"
        flow.sock.sendall(_flow_request(flow, app_id, api_key))
        selector.register(flow.sock, selectors.EVENT_READ, flow)
    done, errors = 0, 0
    cpu0, start = _own_cpu(), time.perf_counter()
    end = start + duration
    while time.perf_counter() < end:
        for key, _ in selector.select(0.5):
            flow = key.data
            buffer = flow.buffer
            buffer += flow.sock.recv(65536)
            complete = _complete_response(buffer)
            if complete == 0:
                continue
            if not buffer.startswith(b"HTTP/1.1 200"):
                errors += 1
            if flow.step == 1:
                at = buffer.find(b'"authToken":"') + 13
                flow.token = buffer[at : buffer.find(b'"', at)].decode()
            del buffer[:complete]
            done += 1
            flow.step = (flow.step + 1) % 12
            if flow.step == 0:
                flow.uid = f"capacity-{os.getpid()}-{next(_SERIALS)}"
            flow.sock.sendall(_flow_request(flow, app_id, api_key))
    return _close(selector, done, errors, start, cpu0)


_GENERATOR_HEADERS = {
    **wire.JSON_HEADERS,
    wire.H_SDK: "authload@0.1",
}
_LOGIN_BODY = b'{"platform":"WEB","appInfo":{"version":"authload","apiVersion":"v3.0"}}'


def _flow_request(flow: _FlowConnection, app_id: str, api_key: str) -> bytes:
    """The flow's next request, with the headers authload's generator sends."""
    common = {**_GENERATOR_HEADERS, wire.H_APP_ID: app_id}
    if flow.step == 0:
        body = json.dumps({"uid": flow.uid, "name": f"Load {flow.uid}"}, separators=(",", ":")).encode()
        return _http_request("POST", wire.rest_path(wire.USERS), {**common, wire.H_API_KEY: api_key}, body)
    if flow.step == 1:
        path = wire.rest_path(wire.AUTH_TOKENS, uid=flow.uid)
        return _http_request("POST", path, {**common, wire.H_API_KEY: api_key}, b'{"force":true}')
    headers = {**common, wire.H_AUTH_TOKEN: flow.token}
    if flow.step % 2 == 0:
        return _http_request("PUT", wire.client_path(wire.ME), headers, _LOGIN_BODY)
    return _http_request("DELETE", wire.client_path(wire.ME), headers, b"")


def _close(
    selector: selectors.BaseSelector, done: int, errors: int, start: float, cpu0: float
) -> tuple[float, float]:
    """Close the connections; requests/s since `start` and our CPU use since `cpu0`."""
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


# --- the request bodies and the flow run (3) -----------------------------------------------


_SDK_BODY = json.dumps(
    {
        "platform": "WEB",
        "deviceId": "authload-mock_bench_1795847972298",
        "appInfo": {"version": "v4.2.0", "apiVersion": "v3.0", "userAgent": "bench"},
    }
).encode()


# --- orchestration ----------------------------------------------------------------------------


def _http_request(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["Accept-Encoding: gzip, deflate, br"] + ([f"Content-Length: {len(body)}"] if body else [])
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


def _measure(label: str, run: Callable[[], tuple[float, float]], server_pid: int) -> dict[str, float]:
    server0, start = cpu_seconds(server_pid), time.perf_counter()
    rate, load_cpu = run()
    elapsed = time.perf_counter() - start
    server_cpu = (cpu_seconds(server_pid) - server0) / elapsed
    server_us = server_cpu / rate * 1e6
    print(
        f"  {label:<24} {rate:>9,.0f} req/s   server {server_us:5.1f} us/req (cpu {server_cpu:4.0%})"
        f"   generator cpu {load_cpu:4.0%}",
        flush=True,
    )
    return {"rate": rate, "server_us": server_us}


def flow_run(mock: MockProcess, workdir: Path, users: int, warmup: float, window: float) -> dict[str, float]:
    """authload's generator on the 12-request flow, flat out: the mock's and the generator's CPU
    per request over one steady window (`bench_flow_overhead.run_once`)."""
    seconds = int(warmup + window + 6)
    args = authload_args(workdir, mock.base_url, users, seconds, 0)
    options = argparse.Namespace(warmup=warmup, window=window)
    assert mock.pid is not None
    stats = MockStats(mock.base_url)
    figures = run_once(args, {}, stats, options, workdir / "flow.log", mock_pid=mock.pid, core=LOAD_CPU)
    ratio = figures["mock_us"] / figures["generator_us"]
    print(
        f"  {'(3) flow, 12 requests':<24} {figures['rps']:>9,.0f} req/s"
        f"   mock {figures['mock_us']:5.1f} us/req   generator {figures['generator_us']:5.1f} us/req"
        f"   mock/generator {ratio:.2f}",
        flush=True,
    )
    return {**figures, "ratio": ratio}


def _spread(values: list[float], digits: int = 1) -> str:
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} (sd {sd:.{digits}f}, {min(values):.{digits}f}-{max(values):.{digits}f})"


def main() -> None:
    """Run the three measurements, rounds alternating, and print the figures."""
    parser = argparse.ArgumentParser(
        description="the mock's CPU per request: vs a trivial endpoint, vs the generator"
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per raw measurement")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of (1), (2), (3), order alternating")
    parser.add_argument("--connections", type=int, default=32, help="raw generator connections")
    parser.add_argument("--users", type=int, default=64, help="authload users on the flow")
    parser.add_argument("--flow-window", type=float, default=6.0, help="seconds measured of each flow run")
    args = parser.parse_args()
    pin(os.getpid(), LOAD_CPU)
    trivial = _spawn("_serve_trivial")
    assert trivial.stdout is not None
    trivial_url = json.loads(trivial.stdout.readline())["base_url"]
    pin(trivial.pid, SERVER_CPU)
    baseline: list[dict[str, float]] = []
    mocked: list[dict[str, float]] = []
    flows: list[dict[str, float]] = []
    capacity: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp, MockProcess(MockConfig()) as mock:
        assert mock.pid is not None
        pin(mock.pid, SERVER_CPU)
        app_id = mock.config.app_id

        def me() -> bytes:
            """`PUT /me` with a fresh token: a flow run resets the mock, its tokens with it."""
            headers = {wire.H_APP_ID: app_id, wire.H_AUTH_TOKEN: _mint_token(mock)}
            return _http_request("PUT", wire.client_path(wire.ME), headers, _SDK_BODY)

        plain = _http_request("PUT", "/", {wire.H_APP_ID: app_id}, _SDK_BODY)
        print(f"cores: {os.cpu_count()}  servers on core {SERVER_CPU}, generators on core {LOAD_CPU}")
        conns, secs = args.connections, args.duration
        raw_load(mock.base_url, me(), conns, 0.5)  # warm-up: caches, JIT-free but page-in
        sides: dict[str, Callable[[], None]] = {
            "baseline": lambda: baseline.append(
                _measure(
                    "(1) baseline trivial", lambda: raw_load(trivial_url, plain, conns, secs), trivial.pid
                )
            ),
            "mock": lambda: mocked.append(
                _measure(
                    "(2) mock PUT /v3.0/me", lambda: raw_load(mock.base_url, me(), conns, secs), mock.pid
                )
            ),
            "flow": lambda: flows.append(flow_run(mock, Path(tmp), args.users, 3.0, args.flow_window)),
            "capacity": lambda: capacity.append(
                _measure(
                    "(4) mock flat out, flow",
                    lambda: raw_flow_load(mock.base_url, app_id, mock.config.rest_api_key, conns, secs),
                    mock.pid,
                )
            ),
        }
        for index in range(args.rounds):
            print(f"round {index + 1}")
            for side in list(sides) if index % 2 == 0 else reversed(sides):
                sides[side]()
    trivial.terminate()
    trivial.wait()
    print(f"\n{args.rounds} rounds:")
    print(f"  (1) baseline trivial endpoint: {_spread([b['server_us'] for b in baseline])} us/req")
    print(f"  (2) mock PUT /v3.0/me:          {_spread([m['server_us'] for m in mocked])} us/req")
    paired = statistics.median(b["server_us"] / m["server_us"] for b, m in zip(baseline, mocked, strict=True))
    print(
        f"      the mock's login runs {paired:.2f}x as fast as the trivial endpoint on plain uvicorn"
        " (median of paired rounds)"
    )
    print(
        f"  (3) flow: mock {_spread([f['mock_us'] for f in flows])} us/req, generator "
        f"{_spread([f['generator_us'] for f in flows])} us/req"
    )
    print(f"      mock/generator CPU per request: {_spread([f['ratio'] for f in flows], 2)}  (goal <= 0.50)")
    print(
        f"  (4) the mock flat out, the flow's requests: {_spread([c['server_us'] for c in capacity])} us/req"
    )
    served = statistics.median(c["rate"] / f["rps"] for c, f in zip(capacity, flows, strict=True))
    print(
        f"      one mock core serves {served:.2f}x the requests/s of one generator core"
        " (median of paired rounds; 2.00 is two generator cores)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve_trivial":
        serve_trivial()
    else:
        main()
