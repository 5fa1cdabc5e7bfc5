"""Does the mock's memory stay bounded under half-sent requests? RSS before, during, after.

Opens N connections to a mock on loopback (a `MockProcess`), each sending half a
request (half of them an unfinished head, half a head and part of a promised
body), holds them, and waits for the mock to answer each with 408 and close it
(`MockConfig.request_timeout_seconds`). The mock's RSS (VmRSS from
/proc/<pid>/status) is read before, at the peak while the connections are held,
and after they are gone; several rounds show whether anything accumulates.
Bounded: every wait has a deadline, the whole run takes about
`rounds * (timeout + 5)` seconds.

    /work/venv/bin/python bench/bench_mock_abuse.py                  # 2,000 connections, 2 rounds, ~30 s
    /work/venv/bin/python bench/bench_mock_abuse.py --connections 500 --rounds 1 --timeout 2
"""

from __future__ import annotations

import argparse
import selectors
import socket
import sys
import time
import urllib.request

from authload.mock import MockConfig, MockProcess
from authload.protocol import wire

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def rss_kib(pid: int) -> int:
    """The process's resident set size in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def half_requests(config: MockConfig) -> tuple[bytes, bytes]:
    """An unfinished head, and a finished head with part of its body."""
    keys = f"{wire.H_APP_ID}: {config.app_id}\r\n{wire.H_API_KEY}: {config.rest_api_key}\r\n"
    path = wire.rest_path(wire.USERS)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{keys}".encode()
    return head, head + b'Content-Length: 200\r\n\r\n{"uid": "half'


def one_round(mock: MockProcess, connections: int, timeout: float) -> dict[str, float]:
    """Open, hold and see closed `connections` half-sent requests; RSS and timings."""
    assert mock.pid is not None
    host, port = mock.base_url.removeprefix("http://").split(":")
    payloads = half_requests(mock.config)
    selector = selectors.DefaultSelector()
    before = rss_kib(mock.pid)
    opened = time.monotonic()
    for i in range(connections):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(payloads[i % 2])
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, (sock, bytearray()))
    during = rss_kib(mock.pid)
    closed, answered, first_close, last_close = 0, 0, 0.0, 0.0
    deadline = opened + timeout + 15
    while closed < connections and time.monotonic() < deadline:
        during = max(during, rss_kib(mock.pid))
        for key, _ in selector.select(0.2):
            sock, buffer = key.data
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            buffer += chunk
            if chunk:
                continue
            now = time.monotonic() - opened
            first_close = first_close or now
            last_close = now
            answered += buffer.startswith(b"HTTP/1.1 408")
            closed += 1
            selector.unregister(sock)
            sock.close()
    for key in list(selector.get_map().values()):
        key.data[0].close()
    settle = time.monotonic() + 1.0
    while time.monotonic() < settle:  # let the server drop its last objects
        time.sleep(0.1)
    after = rss_kib(mock.pid)
    with _OPENER.open(mock.base_url + "/_mock/health", timeout=5) as reply:
        healthy = reply.status == 200
    return {
        "before": before,
        "during": during,
        "after": after,
        "closed": closed,
        "answered_408": answered,
        "first_close_s": first_close,
        "last_close_s": last_close,
        "healthy": healthy,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10.0, help="the mock's request_timeout_seconds")
    args = parser.parse_args()
    config = MockConfig(request_timeout_seconds=args.timeout)
    with MockProcess(config) as mock:
        assert mock.pid is not None
        for _ in range(50):  # warm up: load the request path's code before the first figure
            with _OPENER.open(mock.base_url + "/_mock/health", timeout=5):
                pass
        start_rss = rss_kib(mock.pid)
        print(f"mock pid {mock.pid}, {args.connections} half-sent connections x {args.rounds} rounds")
        print(f"request_timeout_seconds={args.timeout:g}; RSS in MiB")
        print("round  before  during   after  after/before  closed  408s  closed at (s)")
        result: dict[str, float] = {}
        for number in range(1, args.rounds + 1):
            result = one_round(mock, args.connections, args.timeout)
            print(
                f"{number:5d}  {result['before'] / 1024:6.1f}  {result['during'] / 1024:6.1f}"
                f"  {result['after'] / 1024:6.1f}  {result['after'] / result['before']:12.2f}"
                f"  {int(result['closed']):6d}  {int(result['answered_408']):4d}"
                f"  {result['first_close_s']:.1f}-{result['last_close_s']:.1f}"
            )
            if not result["healthy"]:
                print("!! the mock did not answer its health check", file=sys.stderr)
                return 1
        ratio = result["after"] / start_rss
        print(f"after the last round / before the first: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
