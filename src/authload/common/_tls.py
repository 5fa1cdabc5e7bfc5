"""TLS: every HTTPS and WSS connection verifies the server's certificate, unless told not to.

Verification uses the system's roots and certifi's (what httpx trusts), plus,
when an environment names one, `tls.ca_file` (PEM, for a staging CA or a
test's self-signed certificate). Only
`tls: {verify: false}` turns it off, and the run says so (a warning, and
`run.tls_verify: false` in summary.json). One context per process and
settings: loading the roots per virtual user would cost milliseconds each.

Before any request a run checks each HTTPS host with a handshake
(`check_hosts`): a certificate that does not verify stops the run there, with
one line naming the host and the reason, before a key is sent anywhere.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from ._errors import RunError

ContextFactory = Callable[[], ssl.SSLContext]
_contexts: dict[tuple[bool, str, ContextFactory], ssl.SSLContext] = {}


def client_context(
    verify: bool = True, ca_pem: str = "", factory: ContextFactory = ssl.create_default_context
) -> ssl.SSLContext:
    """The process's client context for these settings (`factory`: gevent's in a Locust process)."""
    key = (verify, ca_pem, factory)
    context = _contexts.get(key)
    if context is None:
        context = factory()
        _add_certifi(context)
        if ca_pem:
            context.load_verify_locations(cadata=ca_pem)
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        _contexts[key] = context
    return context


def _add_certifi(context: ssl.SSLContext) -> None:
    try:
        import certifi  # httpx's and requests' dependency: present wherever authload is
    except ImportError:  # pragma: no cover
        return
    context.load_verify_locations(certifi.where())


def https_origins(urls: Iterable[str]) -> list[tuple[str, int]]:
    """(host, port) of each distinct https:// URL, in order."""
    found: list[tuple[str, int]] = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            origin = (parts.hostname, parts.port or 443)
            if origin not in found:
                found.append(origin)
    return found


def check_hosts(urls: Iterable[str], context: ssl.SSLContext, timeout: float) -> None:
    """Shake hands with each HTTPS host; raise `RunError` (exit 3) for one whose certificate does
    not verify. A host that cannot be reached is left to the run to report."""
    if context.verify_mode == ssl.CERT_NONE:
        return
    for host, port in https_origins(urls):
        try:
            with socket.create_connection((host, port), timeout=timeout) as raw:
                with context.wrap_socket(raw, server_hostname=host):
                    pass
        except ssl.SSLCertVerificationError as error:
            raise RunError(f"TLS: {host}:{port}: certificate verify failed: {error.verify_message}") from None
        except ssl.SSLError as error:
            raise RunError(f"TLS: {host}:{port}: handshake failed: {error.reason or error}") from None
        except OSError:
            continue


__all__ = ["check_hosts", "client_context", "https_origins"]
