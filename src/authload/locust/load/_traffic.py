"""This process's requests on the wire, and the stalls among them.

A stall is a span of at least `stall_after` seconds in which requests were in flight and
none was answered: a backend that froze, a network that black-holed. Timeouts and resets end
requests but answer none, so a frozen backend is one stall, not many short ones. Each process
watches its own traffic and records its stalls (wall-clock spans, so those of all workers line
up on the master); the summary merges them.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Traffic:
    """Counts every driver of the process updates: requests in flight, and answers received."""

    __slots__ = ("answered", "in_flight")

    def __init__(self) -> None:
        self.in_flight = 0
        self.answered = 0


class StallWatch:
    """Turns the traffic's counts, looked at every `every` s, into stalls: (from, to, in flight)."""

    def __init__(self, traffic: Traffic, after: float, clock: Callable[[], float] = time.time) -> None:
        self.traffic, self.after, self.clock = traffic, after, clock
        self.stalls: list[tuple[float, float, int]] = []
        self._seen = traffic.answered
        self._quiet_since: float | None = None  # requests in flight and no answer since then
        self._most = 0

    def look(self) -> None:
        """One look at the traffic (a loop calls it every tenth of a second)."""
        now, traffic = self.clock(), self.traffic
        if traffic.answered != self._seen or traffic.in_flight == 0:
            self._end(now)
            self._seen = traffic.answered
            self._quiet_since = now if traffic.in_flight else None
            self._most = traffic.in_flight
            return
        if self._quiet_since is None:
            self._quiet_since = now
        self._most = max(self._most, traffic.in_flight)

    def _end(self, now: float) -> None:
        if self._quiet_since is not None and now - self._quiet_since >= self.after:
            self.stalls.append((self._quiet_since, now, self._most))

    def close(self) -> list[tuple[float, float, int]]:
        """The run stopped: a stall under way ends now. Returns every stall seen, and forgets them."""
        self._end(self.clock())
        self._quiet_since = None
        stalls, self.stalls = self.stalls, []
        return stalls

    def loop(self, sleep: Callable[[float], None], every: float = 0.1) -> None:
        while True:
            sleep(every)
            self.look()
