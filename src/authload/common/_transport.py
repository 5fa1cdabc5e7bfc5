"""Transport failures by type, in one table both drivers use (httpx's and geventhttpclient's),
and the one cap on how much of an answer they read.

A failure is classified by the first class in this table that it (or, first,
the exception that caused it) is an instance of, never by the words of its
message. Third-party classes are named by module and class, so this module
imports neither library; the drivers pass their own exceptions in.

| cause     | what happened                                                           |
|-----------|-------------------------------------------------------------------------|
| `tls`     | the certificate did not verify, or the TLS handshake failed             |
| `timeout` | no answer (or no connection) within the timeout                         |
| `connect` | no connection: refused, no route, no such host                          |
| `reset`   | the connection broke, closed early, or carried garbage for an answer    |
"""

from __future__ import annotations

import errno
import socket
import ssl

from ._errors import ProtocolError, TransportError

TLS, TIMEOUT, CONNECT, RESET = "tls", "timeout", "connect", "reset"
MAX_BODY_BYTES = 1 << 20  # an answer is read this far; a longer one is PROTOCOL_BODY_TOO_LARGE
BODY_TOO_LARGE = "PROTOCOL_BODY_TOO_LARGE"

# (class, or "module.Class" of a library's class) -> cause; the first match wins.
CAUSES: tuple[tuple[type[BaseException] | str, str], ...] = (
    (ssl.SSLError, TLS),  # SSLCertVerificationError is one
    ("httpx.TimeoutException", TIMEOUT),
    ("httpcore.TimeoutException", TIMEOUT),
    ("gevent.timeout.Timeout", TIMEOUT),
    (TimeoutError, TIMEOUT),  # socket.timeout
    (ConnectionRefusedError, CONNECT),
    (socket.gaierror, CONNECT),
    ("httpx.ConnectError", CONNECT),
    ("httpcore.ConnectError", CONNECT),
    (ConnectionError, RESET),  # reset, aborted, broken pipe
    ("geventhttpclient.response.HTTPConnectionClosed", RESET),
    ("geventhttpclient.response.HTTPParseError", RESET),
    ("geventhttpclient.useragent.BadStatusCode", RESET),
    ("httpx.TransportError", RESET),
    ("httpcore.NetworkError", RESET),
    ("httpcore.RemoteProtocolError", RESET),
)
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.ECONNREFUSED}


def _names(kind: type[BaseException]) -> set[type[BaseException] | str]:
    return {*kind.__mro__, *(f"{k.__module__}.{k.__qualname__}" for k in kind.__mro__)}


def cause_of(error: BaseException) -> str | None:
    """The cause of `error` from the table (what it was raised from looked at first), or None."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__
    for link in reversed(chain):  # the root cause says most: httpx wraps an SSL error in ConnectError
        names = _names(type(link))
        for kind, cause in CAUSES:
            if kind in names:
                return cause
        if isinstance(link, OSError) and link.errno in _UNREACHABLE:
            return CONNECT
    return None


def transport_error(error: BaseException | None) -> TransportError:
    """`error` as the `TransportError` both drivers raise (a failure no table entry names: reset)."""
    if error is None:
        return TransportError("reset: no response", cause=RESET)
    cause = cause_of(error) or RESET
    detail = type(error).__name__
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = f"certificate verify failed: {error.verify_message}"
    return TransportError(f"{cause}: {detail}", cause=cause)


def too_large_error(status: int) -> ProtocolError:
    """What both drivers raise for an answer longer than `MAX_BODY_BYTES` (not read on)."""
    return ProtocolError(f"the answer is over {MAX_BODY_BYTES} bytes", status=status, code=BODY_TOO_LARGE)


__all__ = ["BODY_TOO_LARGE", "CAUSES", "MAX_BODY_BYTES", "too_large_error", "cause_of", "transport_error"]
