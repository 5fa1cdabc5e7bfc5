"""A loopback port that is known to refuse connections, instead of assuming one (port 9) is."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 bound and never listening, held for the block: connecting to it is
    refused, and no other process can start listening on it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]
