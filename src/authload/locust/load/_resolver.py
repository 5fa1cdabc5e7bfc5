"""Resolve each target host once per process, not on every new connection.

geventhttpclient asks gevent's resolver for every connection it opens, and
gevent's default resolver runs each lookup on a thread of its pool, even for
an IP literal. With 10,000 users that reconnect after think times, those
lookups were a large part of the client's CPU. gevent lets a program set its
hub's resolver (`hub.resolver`, a documented property); `OnceResolver` keeps
the first answer for the target hosts and passes every other lookup on.

URLs keep their host names, so the Host header and TLS SNI stay what they were.
A process keeps its first answer for its whole life: a long run against a
backend whose addresses move is restarted to see the new ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from gevent import get_hub


class OnceResolver:
    """gevent's resolver interface around another resolver, with `getaddrinfo` kept for `hosts`."""

    def __init__(self, inner: Any, hosts: Iterable[str]) -> None:
        self.inner = inner
        self.hosts = set(hosts)
        self._answers: dict[tuple[Any, ...], Any] = {}
        self.lookups = 0  # lookups that reached the inner resolver (for tests)

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in self.hosts:
            return self.inner.getaddrinfo(host, port, *args, **kwargs)
        key = (host, port, *args, *sorted(kwargs.items()))
        answer = self._answers.get(key)
        if answer is None:  # failures are not kept: the next connection asks again
            self.lookups += 1
            answer = self._answers[key] = self.inner.getaddrinfo(host, port, *args, **kwargs)
        return answer

    def __getattr__(self, name: str) -> Any:  # gethostbyname, close, _on_fork ...
        return getattr(self.inner, name)


def resolve_once(base_urls: Iterable[str]) -> OnceResolver:
    """Make this process's gevent hub resolve the hosts of `base_urls` once each (idempotent)."""
    hosts = {urlsplit(url).hostname or "" for url in base_urls} - {""}
    hub = get_hub()
    resolver = hub.resolver
    if isinstance(resolver, OnceResolver):
        resolver.hosts |= hosts
        return resolver
    once = OnceResolver(resolver, hosts)
    hub.resolver = once
    return once


__all__ = ["OnceResolver", "resolve_once"]
