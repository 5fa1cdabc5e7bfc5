"""The mock in a thread of the test, noting which process sent each user's requests.

A request carrying an auth token names its user: the token is `{uid}_{seconds}{hex}`, so the
uid is read from it (the token itself is never kept). The sending process is found from the
client port: /proc/net/tcp gives the socket's inode, and the process holding that inode among
the candidate pids is the sender (looked up once per connection, while it is open).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authload import MockConfig
from authload.mock._app import create_mock_app
from authload.mock._limits import Limits
from authload.mock._server import serve_app


def _inode_of(client_port: int, server_port: int) -> str | None:
    """The inode of the client's socket (local port `client_port`, remote `server_port`)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote = int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)
            if local == client_port and remote == server_port:
                return fields[9]
    return None


def _owner(inode: str, pids: Iterable[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        try:
            for fd in fds.iterdir():
                try:
                    if str(fd.readlink()) == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


@dataclass
class Trace:
    """uid -> the pids that sent requests as that user; client ports seen with a token."""

    candidates: Callable[[], Iterable[int]]
    server_port: int = 0
    senders: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    ports: dict[int, int | None] = field(default_factory=dict)  # client port -> pid
    unknown: int = 0  # requests whose sender could not be found

    def note(self, scope: dict[str, Any]) -> None:
        token = next((v for k, v in scope["headers"] if k.lower() == b"authtoken"), None)
        if not token or scope.get("client") is None:
            return
        uid = token.decode("latin-1").rsplit("_", 1)[0]
        port = int(scope["client"][1])
        if port not in self.ports:
            inode = _inode_of(port, self.server_port)
            self.ports[port] = _owner(inode, self.candidates()) if inode else None
        pid = self.ports[port]
        if pid is None:
            self.unknown += 1
        else:
            self.senders[uid].add(pid)


@contextmanager
def traced_mock(
    candidates: Callable[[], Iterable[int]], config: MockConfig | None = None, host: str = "127.0.0.1"
) -> Iterator[tuple[str, Trace]]:
    """(base URL, trace) of a mock served in a thread until the block ends."""
    config = config or MockConfig()
    app = create_mock_app(config)
    trace = Trace(candidates)

    async def traced(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            trace.note(scope)
        await app(scope, receive, send)

    ready, stop = threading.Event(), threading.Event()
    urls: list[str] = []

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    thread = threading.Thread(
        target=serve_app,
        args=(traced, host, 0, on_ready),
        kwargs={"stop": stop, "limits": Limits.of(config)},
        daemon=True,
    )
    thread.start()
    try:
        assert ready.wait(15), "the traced mock did not start"
        trace.server_port = int(urls[0].rsplit(":", 1)[1])
        yield urls[0], trace
    finally:
        stop.set()
        thread.join(10)
