"""Runs any protocol flow over geventhttpclient, Locust's HTTP stack. Knows no CometChat path or header.

Every request is written to `log` as it completes (what it was, its status, its
time, its size), so the user reports each HTTP request to Locust as the backend
counts it, and each step as a whole to authload. Certificates are verified (one
context per process, `authload.common._tls`); answers are read up to `MAX_BODY_BYTES`.

Requests go straight to geventhttpclient's `HTTPClient` (what Locust's
FastHttpSession ends in), skipping the layers authload does not use: Locust's
per-request event and response object, and the UserAgent's request object,
cookie jar and redirect loop. That cut a request's client CPU by about a quarter
(bench/bench_flow_overhead.py). Single HTTP requests never reach Locust's
statistics: authload reports whole steps instead. The wire is unchanged: the
same headers (with FastHttpSession's `Accept-Encoding`, bodies decoded as it
does); a redirect is not followed (CometChat's API sends none; it shows as
`PROTOCOL_HTTP_3xx`).

geventhttpclient, like browsers, sends an idempotent request (GET, PUT, DELETE)
once more when a reused connection closes without an answer; such a retried
reset shows as latency, not as a failure. POSTs are never retried.

Cheap at 10,000 users: target hosts are resolved once per process (`_resolver`),
no cookie jar (the protocol sets no cookies; the jar cost ~3% of a request), and
`connections_opened` counts the connections the driver opened, so reconnects (a
backend closing idle connections) show per step.
"""

from __future__ import annotations

import logging
import select
import ssl
import time
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import gevent.ssl
from gevent import monkey
from geventhttpclient.client import HTTPClient, HTTPClientPool
from geventhttpclient.url import URL

from ...common._errors import ProtocolError
from ...common._tls import check_hosts, client_context
from ...common._transport import MAX_BODY_BYTES, too_large_error, transport_error
from ...protocol import Exchange, Host, Request, Response, run_exchange
from ...scenario import Target
from .._compat import FAILURE_EXCEPTIONS, close_unread, watch_connections
from ._resolver import resolve_once
from ._traffic import Traffic

try:  # geventhttpclient decodes `br` with it when installed; so do we
    import brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - Locust installs it
    brotli = None

T = TypeVar("T")
log = logging.getLogger("authload")

# What FastHttpSession adds to every request; kept so the wire does not change.
_DEFAULT_HEADERS = {"Accept-Encoding": "gzip, deflate, br"}
HOST_NOT_ALLOWED = "HOST_NOT_ALLOWED"
# One entry of `FastDriver.log`: the request, its status (0: no answer), milliseconds, body bytes.
Sent = tuple[Request, int, float, int]


def tls_context(target: Target) -> ssl.SSLContext:
    """The process's client context for this target's TLS settings (gevent's, cooperative)."""
    return client_context(target.tls_verify, target.ca_pem, gevent.ssl.create_default_context)


def check_tls(target: Target) -> None:
    """A handshake with each HTTPS host of the target: `RunError` (exit 3) for a certificate that
    does not verify, before any request (and so any key) is sent; a warning when not verifying."""
    if not target.tls_verify:
        log.warning("TLS certificates are NOT verified (the environment says tls: {verify: false})")
    check_hosts(target.base_urls().values(), tls_context(target), target.timeout)


class _CountingPool(HTTPClientPool):
    """geventhttpclient's client pool (one client per host and port) that counts new connections."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.opened = 0

    def get_client(self, url: str | URL) -> HTTPClient:
        if not isinstance(url, URL):
            url = URL(url)
        client = self.clients.get((url.host, url.port))
        if client is None:
            client = super().get_client(url)
            watch_connections(client, self._count, _is_socket_alive)
        return client

    def _count(self, _sock: object) -> None:
        self.opened += 1


class FastDriver:
    """Sends what a flow yields through geventhttpclient, one client per target host."""

    @classmethod
    def for_target(cls, target: Target, concurrency: int = 1, traffic: Traffic | None = None) -> FastDriver:
        """A driver for the hosts of a resolved environment (REST, client, the app's server);
        `traffic`: the process's counts its requests go into (stalls are watched there)."""
        urls: dict[Host, str] = target.base_urls()
        resolve_once(urls.values())
        allowed = {urlsplit(url).hostname or "" for url in urls.values()} | set(target.extra_hosts)
        driver = cls(
            urls,
            timeout=target.timeout,
            concurrency=concurrency,
            context=tls_context(target),
            allowed_hosts=allowed,
        )
        if traffic is not None:
            driver.traffic = traffic
        return driver

    def __init__(
        self,
        base_urls: Mapping[Host, str],
        *,
        timeout: float,
        concurrency: int = 1,
        context: ssl.SSLContext | None = None,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        # Per host: its URL (picks the client) and the path prefix every request path goes under.
        self._bases = {host: _split(url) for host, url in base_urls.items()}
        self._allowed = set(allowed_hosts)  # an http step's absolute URL may go to these only
        self._clients: dict[str, HTTPClient] = {}
        self.sent = 0  # requests sent: a step that sent none is counted as skipped
        self.log: list[Sent] = []  # every request, as it completed; the caller clears it
        self.traffic = Traffic()  # the process's, when the run gives one (stalls are watched there)
        context = context or client_context(factory=gevent.ssl.create_default_context)
        verify = context.verify_mode != ssl.CERT_NONE
        # geventhttpclient's pool, counting connections, with our (shared, verifying) context.
        self._pool = _CountingPool(
            concurrency=concurrency,
            network_timeout=timeout,
            connection_timeout=timeout,
            insecure=not verify,
            ssl_context_factory=lambda **_: context,
            headers=_DEFAULT_HEADERS,
        )

    @property
    def connections_opened(self) -> int:
        """Connections this driver has opened so far (reconnects included)."""
        return self._pool.opened

    def close(self) -> None:
        """Close every connection this driver holds."""
        self._clients.clear()
        self._pool.close()

    def run(self, flow: Exchange[T]) -> T:
        """Send each request the flow yields, feed back each response, return its result."""
        return run_exchange(flow, self._send)

    def _send(self, request: Request) -> Response:
        self.sent += 1
        client = self._clients.get(request.host)
        base = self._bases.get(request.host)
        if base is None:
            base = self._origin(request.host)
        url, prefix = base
        if client is None:
            client = self._clients[request.host] = self._pool.get_client(url)
        started = time.perf_counter()
        status = length = 0
        traffic = self.traffic
        traffic.in_flight += 1
        try:
            # geventhttpclient merges the headers into a fresh `Headers`: the flow's dict is not changed.
            reply = client.request(request.method, prefix + request.path, request.body, request.headers)
            status = reply.status_code
            raw = _read_capped(reply)
            length = len(raw)
            body = _decoded(reply, raw)
        except FAILURE_EXCEPTIONS as error:  # what FastHttpSession counts as a failed request
            raise transport_error(error) from None
        finally:
            traffic.in_flight -= 1
            if status:
                traffic.answered += 1
            self.log.append((request, status, (time.perf_counter() - started) * 1000, length))
        # geventhttpclient's Headers (`info()`) is a case-insensitive mapping already: no copy.
        return Response(status, reply.info(), body)  # type: ignore[arg-type]

    def _origin(self, origin: str) -> tuple[URL, str]:
        """An http step's absolute URL: its origin, if the environment allows that host."""
        if (urlsplit(origin).hostname or "") not in self._allowed:
            raise ProtocolError(f"{origin} is not a host of the environment", code=HOST_NOT_ALLOWED)
        base = self._bases[origin] = _split(origin)
        return base


_poll = monkey.get_original("select", "poll")  # the real poll(2), not gevent's cooperative one


def _is_socket_alive(sock: Any) -> bool:
    """geventhttpclient's check of an idle kept connection before reuse, with poll(2) for select(2).

    gevent's `select.select` first calls the real select(2), which cannot take a descriptor
    above 1023 (FD_SETSIZE): the ValueError made geventhttpclient take every kept connection
    with a higher descriptor for dead, so past ~1,000 connections in a process nearly every
    request reconnected (10,000 paced users: 53,714 connections for 57,212 requests).
    An idle connection with anything to read (a FIN, stray bytes) or an error is not reused.
    """
    if sock is None:
        return False
    try:
        descriptor = sock.fileno()
        if descriptor < 0:
            return False
        poller = _poll()
        poller.register(descriptor, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


def _split(base_url: str) -> tuple[URL, str]:
    url = URL(base_url)
    return url, url.path.rstrip("/")


def _decoded(reply: Any, body: bytes) -> bytes:
    """The body as FastHttpSession's response gives it: gzip, deflate and br undone."""
    encoding = reply.get("content-encoding")
    if encoding is None or not body:
        return body
    encoding = encoding.lower()
    if encoding == "gzip":
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(body, -zlib.MAX_WBITS)
        except zlib.error:
            return zlib.decompress(body)
    if encoding == "br" and brotli is not None:
        return brotli.decompress(body)  # type: ignore[no-any-return]
    return body  # identity, or an encoding nobody asked for: the JSON check will say so


def _read_capped(reply: Any) -> bytes:
    """The body, up to `MAX_BODY_BYTES`; a longer one is not read on: its connection is closed."""
    length = reply.content_length
    if length is not None and length <= MAX_BODY_BYTES:
        return reply.read()  # type: ignore[no-any-return]
    body: bytes = b"" if length is not None else reply.read(MAX_BODY_BYTES + 1)
    if length is not None or len(body) > MAX_BODY_BYTES:
        close_unread(reply)
        raise too_large_error(reply.status_code)
    return body
