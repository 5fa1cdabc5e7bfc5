"""Loopback ports for tests: one known to refuse connections (instead of assuming port 9 is),
and one a child process can bind without racing the kernel's ephemeral ports."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 bound and never listening, held for the block: connecting to it is
    refused, and no other process can start listening on it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def port_for_a_server() -> int:
    """A free loopback port for a server a test starts in a child process.

    A port from `bind(0)` is closed before the child binds it, and in between the kernel may
    hand it to any outgoing connection (it comes from the ephemeral range). This one lies
    below that range, where the kernel never picks, and is checked free; a random pick keeps
    two tests apart.
    """
    low, _ = _ephemeral_range()
    for _ in range(100):
        port = random.randrange(20000, min(low, 32768))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")
