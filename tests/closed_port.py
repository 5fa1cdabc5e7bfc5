"""Loopback ports for tests: one known to refuse connections (instead of assuming port 9 is),
and one a child process can bind without racing the kernel's ephemeral ports."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from authload.common import _ports


@contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 bound and never listening, held for the block: connecting to it is
    refused, and no other process can start listening on it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def port_for_a_server() -> int:
    """A free loopback port for a server a test starts in a child process (see
    `authload.common._ports`: below the kernel's ephemeral range, checked free)."""
    return _ports.port_for_a_server()
