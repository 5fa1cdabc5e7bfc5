"""Runs any protocol flow over geventhttpclient, Locust's HTTP stack. Knows no CometChat path or header.

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

import select
import zlib
from collections.abc import Mapping
from typing import Any, TypeVar

from gevent import monkey
from geventhttpclient.client import HTTPClient, HTTPClientPool
from geventhttpclient.url import URL
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS, insecure_ssl_context_factory

from .._exceptions import TransportError
from ..protocol import Exchange, Host, Request, Response, run_exchange
from ..scenario import Target
from ._resolver import resolve_once

try:  # geventhttpclient decodes `br` with it when installed; so do we
    import brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - Locust installs it
    brotli = None

T = TypeVar("T")

# What FastHttpSession adds to every request; kept so the wire does not change.
_DEFAULT_HEADERS = {"Accept-Encoding": "gzip, deflate, br"}


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
            # `after_connect` is the connection pool's documented hook, called once per new socket.
            pool = client._connection_pool
            pool.after_connect = self._count  # type: ignore[method-assign,assignment]
            pool._is_socket_alive = _is_socket_alive  # type: ignore[method-assign]
        return client

    def _count(self, _sock: object) -> None:
        self.opened += 1


class FastDriver:
    """Sends what a flow yields through geventhttpclient, one client per target host."""

    @classmethod
    def for_target(cls, target: Target, concurrency: int = 1) -> FastDriver:
        """A driver for the REST and client hosts of a resolved environment."""
        urls: dict[Host, str] = {"rest": target.rest_base_url, "client": target.client_base_url}
        resolve_once(urls.values())
        return cls(urls, timeout=target.timeout, concurrency=concurrency)

    def __init__(self, base_urls: Mapping[Host, str], *, timeout: float, concurrency: int = 1) -> None:
        # Per host: its URL (picks the client) and the path prefix every request path goes under.
        self._bases = {host: _split(url) for host, url in base_urls.items()}
        self._clients: dict[str, HTTPClient] = {}
        self.sent = 0  # requests sent: a step that sent none is counted as skipped
        # The pool FastHttpSession would build itself (Locust's insecure TLS default), counting.
        self._pool = _CountingPool(
            concurrency=concurrency,
            network_timeout=timeout,
            connection_timeout=timeout,
            insecure=True,
            ssl_context_factory=insecure_ssl_context_factory,
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
        url, prefix = self._bases[request.host]
        if client is None:
            client = self._clients[request.host] = self._pool.get_client(url)
        try:
            # geventhttpclient merges the headers into a fresh `Headers`: the flow's dict is not changed.
            reply = client.request(request.method, prefix + request.path, request.body, request.headers)
            body = _decoded(reply, reply.read())
        except FAILURE_EXCEPTIONS as error:  # what FastHttpSession counts as a failed request
            raise _transport_error(error) from None
        # geventhttpclient's Headers (`info()`) is a case-insensitive mapping already: no copy.
        return Response(reply.status_code, reply.info(), body)  # type: ignore[arg-type]


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


def _transport_error(error: BaseException | None) -> TransportError:
    name = type(error).__name__ if error is not None else "no response"
    text = f"{name}: {error}".lower()
    if "timeout" in text or "timed out" in text:
        cause = "timeout"
    elif "refused" in text or "unreachable" in text or "resolve" in text or "name or service" in text:
        cause = "connect"
    else:  # closed, reset, broken pipe, garbage where a status line should be
        cause = "reset"
    return TransportError(f"{cause}: {name}", cause=cause)
