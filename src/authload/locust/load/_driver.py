"""Runs any protocol flow over authload's lean HTTP/1.1 client (`_http11`). Knows no CometChat
path or header.

Every request is written to `log` as it completes (what it was, its status, its
time, its size), so the user reports each HTTP request to Locust as the backend
counts it, and each step as a whole to authload. Certificates are verified (one
context per process, `authload.common._tls`); answers are read up to `MAX_BODY_BYTES`.

The wire is what Locust's FastHttpSession sent (the same headers, with its
`Accept-Encoding`; bodies decoded as it does); a redirect is not followed
(CometChat's API sends none; it shows as `PROTOCOL_HTTP_3xx`). An idempotent
request (GET, PUT, DELETE) whose kept connection closes without an answer is sent
once more on a new one: such a reset shows as latency, not as a failure. POSTs
are never sent twice.

Cheap at 10,000 users: target hosts are resolved once per process (`_resolver`),
one kept connection per host and user, checked with poll(2) before reuse, and
`connections_opened` counts the connections the driver opened, so reconnects (a
backend closing idle connections) show per step.
"""

from __future__ import annotations

import logging
import ssl
import time
import zlib
from collections.abc import Iterable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import gevent.ssl

from ...common._errors import ProtocolError
from ...common._tls import check_hosts, client_context
from ...common._transport import too_large_error, transport_error
from ...protocol import Exchange, Host, Request, Response, run_exchange
from ...scenario import Target
from . import _http11 as http
from ._resolver import resolve_once
from ._traffic import Traffic

try:  # FastHttpSession decodes `br` with it when installed; so do we
    import brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - Locust installs it
    brotli = None

# What a request can fail with on the wire (classified by `common._transport`).
FAILURES = (OSError, http.ConnectionClosedError, http.BadAnswerError)

T = TypeVar("T")
log = logging.getLogger("authload")

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


class FastDriver:
    """Sends what a flow yields over `_http11`, one kept connection per origin."""

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
        self._timeout, self._keep = timeout, max(1, concurrency)
        self._context = context or client_context(factory=gevent.ssl.create_default_context)
        self._origins: dict[tuple[str, str, int], http.Origin] = {}  # hosts on one origin share it
        # Per host: its origin and the path prefix every request path goes under.
        self._bases = {host: self._split(url) for host, url in base_urls.items()}
        self._allowed = set(allowed_hosts)  # an http step's absolute URL may go to these only
        self.sent = 0  # requests sent: a step that sent none is counted as skipped
        self.log: list[Sent] = []  # every request, as it completed; the caller clears it
        self.traffic = Traffic()  # the process's, when the run gives one (stalls are watched there)
        self.connections_opened = 0  # connections this driver has opened (reconnects included)

    def _opened(self) -> None:
        self.connections_opened += 1

    def close(self) -> None:
        """Close every connection this driver holds."""
        for origin in self._origins.values():
            origin.close()

    def run(self, flow: Exchange[T]) -> T:
        """Send each request the flow yields, feed back each response, return its result."""
        return run_exchange(flow, self._send)

    def _send(self, request: Request) -> Response:
        self.sent += 1
        base = self._bases.get(request.host)
        if base is None:
            base = self._origin(request.host)
        origin, prefix = base
        started = time.perf_counter()
        status = length = 0
        traffic = self.traffic
        traffic.in_flight += 1
        try:
            answer = http.request(
                origin, request.method, prefix + request.path, request.headers, request.body
            )
            status, length = answer.status, len(answer.body)
            body = _decoded(answer.headers, answer.body)
        except http.BodyTooLargeError as error:
            status = error.status
            raise too_large_error(error.status) from None
        except FAILURES as error:
            raise transport_error(error) from None
        finally:
            traffic.in_flight -= 1
            if status:
                traffic.answered += 1
            self.log.append((request, status, (time.perf_counter() - started) * 1000, length))
        return Response(status, answer.headers, body)

    def _split(self, base_url: str) -> tuple[http.Origin, str]:
        """A base URL's origin (one per scheme, host and port) and its path prefix."""
        parts = urlsplit(base_url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        origin = self._origins.get((scheme, host, port))
        if origin is None:
            origin = http.Origin(scheme, host, port, self._context, self._timeout, self._opened, self._keep)
            self._origins[(scheme, host, port)] = origin
        return origin, parts.path.rstrip("/")

    def _origin(self, origin: str) -> tuple[http.Origin, str]:
        """An http step's absolute URL: its origin, if the environment allows that host."""
        if (urlsplit(origin).hostname or "") not in self._allowed:
            raise ProtocolError(f"{origin} is not a host of the environment", code=HOST_NOT_ALLOWED)
        base = self._bases[origin] = self._split(origin)
        return base


def _decoded(headers: Mapping[str, str], body: bytes) -> bytes:
    """The body as FastHttpSession's response gives it: gzip, deflate and br undone."""
    encoding = headers.get("content-encoding")
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
