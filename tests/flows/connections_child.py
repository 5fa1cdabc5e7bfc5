"""FastDriver at scale: one lookup per host per process, counted reconnects, no cookie jar.

argv: base URL of a mock (with a host name, e.g. http://localhost:PORT). Prints JSON.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
from collections.abc import Generator

import locust  # noqa: F401  (monkey-patches the interpreter, as in a real run)
from gevent.server import StreamServer

from authload.locust.load._driver import FastDriver
from authload.locust.load._resolver import resolve_once
from authload.protocol import Request, Response


def get(path: str) -> Generator[Request, Response, int]:
    response = yield Request("GET", "rest", path, {})
    return response.status


def cookie_server(heads: list[bytes]) -> StreamServer:
    """Answers every request with a cookie, keeping each request head: a client with a cookie
    jar would send it back on the next request."""

    def serve(sock: socket.socket, _address: object) -> None:
        data = b""
        while True:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, data = data.split(b"\r\n\r\n", 1)
            heads.append(head.lower())
            body = b'{"data":{}}'
            sock.sendall(
                b"HTTP/1.1 200 OK\r\nSet-Cookie: session=abc; Path=/\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )

    server = StreamServer(("127.0.0.1", 0), serve)
    server.start()
    return server


url = sys.argv[1]
resolver = resolve_once([url])
drivers = [FastDriver({"rest": url, "client": url}, timeout=5.0) for _ in range(3)]
statuses = [driver.run(get("/_mock/health")) for driver in drivers for _ in range(4)]
kept = [driver.connections_opened for driver in drivers]
# A 414 refusal closes the connection: the next request must open (and count) another one.
refused = drivers[0].run(get("/_mock/health?x=" + "a" * 9000))
again = drivers[0].run(get("/_mock/health"))
heads: list[bytes] = []
server = cookie_server(heads)
cookie_url = f"http://127.0.0.1:{server.server_port}"
cookie_driver = FastDriver({"rest": cookie_url, "client": cookie_url}, timeout=5.0)
cookie_statuses = [cookie_driver.run(get("/a")), cookie_driver.run(get("/b"))]
server.stop()
# Descriptors above 1023 (a process with over a thousand connections): select(2) cannot take
# them, and geventhttpclient's own liveness check took every such kept connection for dead.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < 1200 <= hard:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))
fillers = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)] if max(soft, hard) >= 1200 else []
high = FastDriver({"rest": url, "client": url}, timeout=5.0)
high_statuses = [high.run(get("/_mock/health")) for _ in range(3)]
for descriptor in fillers:
    os.close(descriptor)
print(
    json.dumps(
        {
            "statuses": sorted(set(statuses)),
            "lookups": resolver.lookups,
            "kept": kept,
            "refused": refused,
            "again": again,
            "after_close": drivers[0].connections_opened,
            "cookie_statuses": cookie_statuses,
            "high_fd": bool(fillers),
            "high_fd_statuses": high_statuses,
            "high_fd_opened": high.connections_opened,
            "cookie_sent": any(b"\r\ncookie:" in head for head in heads),
            "accept_encoding": any(b"\r\naccept-encoding: gzip, deflate, br" in head for head in heads),
        }
    )
)
