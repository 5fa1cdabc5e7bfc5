"""A free loopback port for a server another process will bind (a `--processes` master).

A port from `bind(0)` is closed before the other process binds it, and in between the kernel
may hand it to any outgoing connection (it comes from the ephemeral range). This one lies
below that range, where the kernel never picks, and is checked free; a random pick keeps two
runs on one machine apart.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

from ._errors import RunError

LOWEST = 20000


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def port_for_a_server(host: str = "127.0.0.1") -> int:
    """A port on `host` nobody listens on, below the kernel's ephemeral range."""
    low, _ = _ephemeral_range()
    for _ in range(100):
        port = random.randrange(LOWEST, max(LOWEST + 1, min(low, 32768)))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RunError("no free loopback port below the ephemeral range")
