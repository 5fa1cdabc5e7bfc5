"""Runs any protocol flow over Locust's FastHttpSession. Knows no CometChat path or header.

The session is built with its own request hook, so single HTTP requests do
not reach Locust's statistics: authload reports whole steps and cycles instead.

geventhttpclient, like browsers, sends an idempotent request (GET, PUT, DELETE)
once more when a reused connection closes without an answer; such a retried
reset shows as latency, not as a failure. POSTs are never retried.

Cheap at 10,000 users: target hosts are resolved once per process (`_resolver`),
the session keeps no cookie jar (the protocol sets no cookies; the jar cost ~3%
of a request), and `connections_opened` counts the connections the driver
opened, so reconnects (a backend closing idle connections) show per step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from geventhttpclient.client import HTTPClient, HTTPClientPool
from geventhttpclient.url import URL
from locust.contrib.fasthttp import FastHttpSession, insecure_ssl_context_factory

from .._exceptions import TransportError
from ..protocol import Exchange, Host, Request, Response, run_exchange
from ..scenario import Target
from ._resolver import resolve_once

T = TypeVar("T")


class _LastError:
    """Stands in for Locust's request event; keeps the exception of the last request."""

    def __init__(self) -> None:
        self.exception: BaseException | None = None

    def fire(self, **meta: Any) -> None:
        self.exception = meta.get("exception")


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
            client._connection_pool.after_connect = self._count  # type: ignore[method-assign,assignment]
        return client

    def _count(self, _sock: object) -> None:
        self.opened += 1


class FastDriver:
    """Sends what a flow yields through one FastHttpSession."""

    @classmethod
    def for_target(cls, target: Target, concurrency: int = 1) -> FastDriver:
        """A driver for the REST and client hosts of a resolved environment."""
        urls: dict[Host, str] = {"rest": target.rest_base_url, "client": target.client_base_url}
        resolve_once(urls.values())
        return cls(urls, timeout=target.timeout, concurrency=concurrency)

    def __init__(self, base_urls: Mapping[Host, str], *, timeout: float, concurrency: int = 1) -> None:
        self._base_urls = dict(base_urls)
        self._last = _LastError()
        self.sent = 0  # requests sent: a step that sent none is counted as skipped
        # The pool FastHttpSession would build itself (Locust's insecure TLS default), counting.
        self._pool = _CountingPool(
            concurrency=concurrency,
            network_timeout=timeout,
            connection_timeout=timeout,
            insecure=True,
            ssl_context_factory=insecure_ssl_context_factory,
        )
        self.session = FastHttpSession(
            base_url=self._base_urls["rest"],
            request_event=self._last,
            user=None,
            client_pool=self._pool,
            max_retries=0,  # a retry would hide the very failure a load test is for
        )
        self.session.client.cookiejar = None  # geventhttpclient's UserAgent: None = no cookies

    @property
    def connections_opened(self) -> int:
        """Connections this driver has opened so far (reconnects included)."""
        return self._pool.opened

    def run(self, flow: Exchange[T]) -> T:
        """Send each request the flow yields, feed back each response, return its result."""
        return run_exchange(flow, self._send)

    def _send(self, request: Request) -> Response:
        self._last.exception = None
        self.sent += 1
        url = self._base_urls[request.host] + request.path
        # Locust annotates str | dict; geventhttpclient sends bytes as they are and copies the headers.
        body: Any = request.body
        headers: Any = request.headers
        reply = self.session.request(request.method, url, data=body, headers=headers)
        status = reply.status_code
        if not status or self._last.exception is not None and _is_transport(self._last.exception):
            raise _transport_error(getattr(reply, "error", None) or self._last.exception)
        # geventhttpclient's Headers is a case-insensitive mapping already: no copy.
        return Response(status, cast(Mapping[str, str], reply.headers or {}), reply.content or b"")


def _is_transport(error: BaseException) -> bool:
    # A non-2xx status arrives as an exception that carries the response; it is data, not a failure.
    return getattr(error, "response", None) is None


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
