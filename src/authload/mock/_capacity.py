"""The mock's capacity model: a server that handles at most `rate` requests a second, in the
order they arrive, with a queue of at most `queue_ms` of waiting (`capacity` fault rules).

Each rule is one queue: the routes it matches (one route, or `*`: all) share it. A request
takes the next free slot; it waits for it, or, when it would wait longer than the queue
allows, is refused at once. No I/O here: `admit` says how long to wait, or None.
"""

from __future__ import annotations

from collections.abc import Callable

from ._config import CapacityFault, FaultRule


class Queue:
    """One capacity rule's server: the time its next free slot starts."""

    def __init__(self, spec: CapacityFault, clock: Callable[[], float]) -> None:
        self.spec, self.clock = spec, clock
        self.interval = 1.0 / spec.rate
        self.next_free = 0.0
        self.queued = self.refused = 0  # requests that waited; requests refused
        self.waited_s = 0.0

    def admit(self) -> float | None:
        """Seconds this request waits for its slot (0: served at once), or None: refused."""
        now = self.clock()
        start = max(now, self.next_free)
        wait = start - now
        if wait * 1000 > self.spec.queue_ms:
            self.refused += 1
            return None
        self.next_free = start + self.interval
        if wait > 0:
            self.queued += 1
            self.waited_s += wait
        return wait

    def as_json(self) -> dict[str, float | int | str]:
        return {
            "route": self.spec.route or "*",
            "rate": self.spec.rate,
            "queue_ms": self.spec.queue_ms,
            "queued": self.queued,
            "waited_ms": round(self.waited_s * 1000, 3),
            "refused": self.refused,
        }


class Capacity:
    """Every capacity rule of a mock, by the routes it covers."""

    def __init__(self, faults: tuple[FaultRule, ...], clock: Callable[[], float]) -> None:
        self.queues = [Queue(rule, clock) for rule in faults if isinstance(rule, CapacityFault)]
        self._by_route: dict[str, list[Queue]] = {}

    def for_route(self, route: str) -> list[Queue]:
        found = self._by_route.get(route)
        if found is None:
            found = self._by_route[route] = [q for q in self.queues if q.spec.route in (None, "*", route)]
        return found

    def as_json(self) -> list[dict[str, float | int | str]]:
        return [queue.as_json() for queue in self.queues]
