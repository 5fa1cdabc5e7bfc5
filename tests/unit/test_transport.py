"""One table classifies transport failures for both drivers: the same failure, the same code."""

from __future__ import annotations

import socket
import ssl

import httpcore
import httpx
import pytest
from geventhttpclient.response import HTTPConnectionClosed, HTTPParseError

from authload.client._driver import send
from authload.common._transport import transport_error
from authload.protocol import Request


def _verify_error() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    return error


def _raised_from(outer: Exception, inner: BaseException) -> Exception:
    """What httpx raises: its own exception, `raise ... from` httpcore's, from the socket's."""
    outer.__cause__ = inner
    return outer


def _httpx(kind: type[httpx.TransportError], inner: BaseException, core: type[Exception]) -> Exception:
    request = httpx.Request("GET", "https://example.test/")
    return _raised_from(kind("failed", request=request), _raised_from(core("failed"), inner))


# (failure, what geventhttpclient's path raises, what httpx raises, the code both give)
CASES = [
    (
        "certificate",
        _verify_error(),
        _httpx(httpx.ConnectError, _verify_error(), httpcore.ConnectError),
        "TRANSPORT_TLS",
    ),
    (
        "handshake",
        ssl.SSLError(1, "wrong version"),
        _httpx(httpx.ConnectError, ssl.SSLError(1, "x"), httpcore.ConnectError),
        "TRANSPORT_TLS",
    ),
    (
        "refused",
        ConnectionRefusedError(111, "refused"),
        _httpx(httpx.ConnectError, ConnectionRefusedError(111, "x"), httpcore.ConnectError),
        "TRANSPORT_CONNECT",
    ),
    (
        "no such host",
        socket.gaierror(-2, "Name or service not known"),
        _httpx(httpx.ConnectError, socket.gaierror(-2, "x"), httpcore.ConnectError),
        "TRANSPORT_CONNECT",
    ),
    (
        "no route",
        OSError(113, "No route to host"),
        _httpx(httpx.ConnectError, OSError(113, "x"), httpcore.ConnectError),
        "TRANSPORT_CONNECT",
    ),
    (
        "timeout",
        TimeoutError("timed out"),
        _httpx(httpx.ReadTimeout, TimeoutError(), httpcore.ReadTimeout),
        "TRANSPORT_TIMEOUT",
    ),
    (
        "connect timeout",
        TimeoutError(),
        _httpx(httpx.ConnectTimeout, TimeoutError(), httpcore.ConnectTimeout),
        "TRANSPORT_TIMEOUT",
    ),
    (
        "reset",
        ConnectionResetError(104, "reset"),
        _httpx(httpx.ReadError, ConnectionResetError(104, "x"), httpcore.ReadError),
        "TRANSPORT_RESET",
    ),
    (
        "broken pipe",
        BrokenPipeError(32, "pipe"),
        _httpx(httpx.WriteError, BrokenPipeError(32, "x"), httpcore.WriteError),
        "TRANSPORT_RESET",
    ),
    (
        "closed early",
        HTTPConnectionClosed("closed"),
        _httpx(httpx.RemoteProtocolError, OSError("x"), httpcore.RemoteProtocolError),
        "TRANSPORT_RESET",
    ),
    (
        "garbage",
        HTTPParseError("bad status line"),
        _httpx(httpx.RemoteProtocolError, ValueError("x"), httpcore.RemoteProtocolError),
        "TRANSPORT_RESET",
    ),
]


@pytest.mark.parametrize(("failure", "gevent_error", "httpx_error", "code"), CASES, ids=[c[0] for c in CASES])
def test_both_drivers_give_one_code(
    failure: str, gevent_error: Exception, httpx_error: Exception, code: str
) -> None:
    assert transport_error(gevent_error).code == code
    assert transport_error(httpx_error).code == code


@pytest.mark.parametrize(("failure", "gevent_error", "httpx_error", "code"), CASES, ids=[c[0] for c in CASES])
def test_the_httpx_driver_classifies_what_its_client_raises(
    failure: str, gevent_error: Exception, httpx_error: Exception, code: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx_error

    with httpx.Client(transport=httpx.MockTransport(fail)) as client:
        with pytest.raises(Exception) as caught:
            send(client, {"rest": "https://example.test"}, Request("GET", "rest", "/", {}))
    assert getattr(caught.value, "code", None) == code


def test_a_certificate_failure_says_why() -> None:
    assert str(transport_error(_verify_error())) == "tls: certificate verify failed: self-signed certificate"


def test_a_message_never_decides() -> None:
    """A reset whose text says "timed out" is still a reset: types decide, not words."""
    assert transport_error(ConnectionResetError(104, "timed out, refused")).code == "TRANSPORT_RESET"
