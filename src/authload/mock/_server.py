"""`serve`: run the mock under uvicorn on a pre-bound socket, one process, one event loop.

Binding the socket ourselves means port 0 works: the kernel picks a free
port, and `on_ready` hears the actual base URL once uvicorn is listening.
"""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn

from ._app import create_mock_app
from ._config import MockConfig
from ._limits import Limits
from ._protocol import protocol_class


class _Server(uvicorn.Server):
    """uvicorn's server, plus a ready callback and an external stop event."""

    def __init__(
        self, config: uvicorn.Config, on_started: Callable[[], None], stop: threading.Event | None
    ) -> None:
        super().__init__(config)
        self._on_started = on_started
        self._stop = stop

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            # Everything loaded so far (modules, app, seeds) lives for the whole run:
            # keep it out of the cyclic GC's way, so collections stay cheap under load.
            gc.collect()
            gc.freeze()
            self._on_started()

    async def on_tick(self, counter: int) -> bool:
        if self._stop is not None and self._stop.is_set():
            return True
        return await super().on_tick(counter)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on `host:port` (port 0 = any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only then
    # (without it, Nagle + delayed ACK add ~40 ms to every reply).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket, *, secure: bool = False) -> str:
    """`http://host:port` (`https://` when `secure`) of a bound socket."""
    host, port = sock.getsockname()[:2]
    scheme = "https" if secure else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def serve(
    config: MockConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[str], None] | None = None,
    *,
    stop: threading.Event | None = None,
) -> None:
    """Serve the mock until interrupted (or until `stop` is set); blocks.

    `on_ready(base_url)` is called once the server accepts connections, with
    the actual port when `port` is 0. Loopback by default; one worker,
    no access log, log level warning; request size and time bounded by
    `config` (see `_limits`); HTTPS and WSS when `config` has `tls_cert` and `tls_key`.
    """
    config = config or MockConfig()
    tls = (config.tls_cert, config.tls_key) if config.tls_cert and config.tls_key else None
    app = create_mock_app(config)
    serve_app(app, host, port, on_ready, stop=stop, limits=Limits.of(config), tls=tls, direct=True)


def serve_app(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[str], None] | None = None,
    *,
    stop: threading.Event | None = None,
    limits: Limits | None = None,
    tls: tuple[str, str] | None = None,
    direct: bool = False,
) -> None:
    """Serve any ASGI app the way `serve` does (a traced mock in the e2e tests uses this);
    `tls` is (certificate file, key file) for HTTPS. `direct` (a `MockApp` only): its API
    requests skip the ASGI layer (`_protocol`)."""
    sock = bind_socket(host, port)
    url = base_url(sock, secure=tls is not None)
    limits = limits or Limits.of(MockConfig())
    uv_config = uvicorn.Config(
        app,
        http=protocol_class(limits, app.api, app.asgi_prefixes) if direct else protocol_class(limits),
        access_log=False,
        log_level="warning",
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=2,
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    server = _Server(uv_config, lambda: on_ready(url) if on_ready else None, stop)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
