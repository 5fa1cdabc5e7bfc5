"""Ground-truth counters: what the mock received, answered and injected.

Tests and calibration runs compare a harness's figures with these, so every
increment happens exactly once per event, on the event loop (no locks needed).
Memory is bounded: counts keyed by route, status, code and fault kind only.
Admin routes (`/_mock/*`) are not counted, so polling the stats changes nothing.

Per route: `requests` = sum of `status` counts + `faults.reset` (a reset sends no status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RouteCounters:
    """Counts for one route name."""

    requests: int = 0
    status: dict[int, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """JSON shape: status keys become strings."""
        return {
            "requests": self.requests,
            "status": {str(status): n for status, n in sorted(self.status.items())},
            "codes": dict(sorted(self.codes.items())),
            "faults": dict(sorted(self.faults.items())),
        }


@dataclass(slots=True)
class WebSocketCounters:
    """Counts for the real-time socket."""

    connections: int = 0
    auth_ok: int = 0
    auth_failed: int = 0
    pings: int = 0
    other_frames: int = 0


class Counters:
    """All counters of one mock app."""

    def __init__(self) -> None:
        self.routes: dict[str, RouteCounters] = {}
        self.websocket = WebSocketCounters()

    def reset(self) -> None:
        """Back to zero."""
        self.routes.clear()
        self.websocket = WebSocketCounters()

    def route(self, name: str) -> RouteCounters:
        """The counters of one route, created on first use."""
        counters = self.routes.get(name)
        if counters is None:
            counters = self.routes[name] = RouteCounters()
        return counters

    def as_json(self) -> dict[str, Any]:
        """`{"routes": {name: {...}}, "totals": {...}, "websocket": {...}}`."""
        totals = RouteCounters()
        for counters in self.routes.values():
            totals.requests += counters.requests
            _merge(counters.status, totals.status)
            _merge(counters.codes, totals.codes)
            _merge(counters.faults, totals.faults)
        ws = self.websocket
        return {
            "routes": {name: c.as_json() for name, c in sorted(self.routes.items())},
            "totals": totals.as_json(),
            "websocket": {
                "connections": ws.connections,
                "auth_ok": ws.auth_ok,
                "auth_failed": ws.auth_failed,
                "pings": ws.pings,
                "other_frames": ws.other_frames,
            },
        }


def bump(table: dict[Any, int], key: Any) -> None:
    """`table[key] += 1`, starting at zero."""
    table[key] = table.get(key, 0) + 1


def _merge(table: dict[Any, int], into: dict[Any, int]) -> None:
    for key, n in table.items():
        into[key] = into.get(key, 0) + n
