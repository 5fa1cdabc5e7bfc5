"""The search, without I/O: which rate to probe next, given what earlier probes showed.

Grow the rate geometrically from `start` until a probe breaks a rule (or `stop` holds), then
bisect between the highest rate that held and the lowest that broke until they are within
`precision` of each other. A probe that was limited by the load generator ends the search:
nothing it measured is the backend's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GROWTH = 2.0  # each probe before the first failure asks twice the last one's rate
BACKEND, GENERATOR, SEARCH_RANGE = "backend", "generator", "search_range"


@dataclass
class Search:
    """The state of one search; `next_rate()` until it says None, `record()` after each probe."""

    start: float
    stop: float
    precision: float  # 0.1: good and bad rates at most 10% apart
    good: float | None = None  # the highest rate whose hold kept every rule
    bad: float | None = None  # the lowest rate whose hold broke one
    generator_limited: bool = False
    asked: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.start <= self.stop:
            raise ValueError(f"the rates must satisfy 0 < from <= to, not {self.start:g} and {self.stop:g}")
        if not 0.01 <= self.precision < 1:
            raise ValueError(f"the precision must be from 1% to under 100%, not {self.precision * 100:g}%")

    def next_rate(self) -> float | None:
        """The rate the next probe asks, or None when the search is over."""
        if self.generator_limited:
            return None
        if self.bad is None:  # still growing
            if self.good is None:
                return self.start
            if self.good >= self.stop:
                return None
            return min(self.good * GROWTH, self.stop)
        if self.good is None:  # the first rate broke a rule already: nothing below is searched
            return None
        if (self.bad - self.good) / self.good <= self.precision:
            return None
        middle = (self.good + self.bad) / 2
        rounded = _round(middle)
        return rounded if self.good < rounded < self.bad else middle

    def record(self, rate: float, held: bool) -> None:
        """A probe at `rate` held every rule (`held`) or broke one."""
        self.asked.append(rate)
        if held:
            self.good = rate if self.good is None else max(self.good, rate)
        else:
            self.bad = rate if self.bad is None else min(self.bad, rate)

    def limited_by_generator(self) -> None:
        """A probe's shortfall was the load generator's: stop searching."""
        self.generator_limited = True

    @property
    def limited_by(self) -> str:
        if self.generator_limited:
            return GENERATOR
        return SEARCH_RANGE if self.bad is None else BACKEND


def _round(rate: float) -> float:
    """Rates as people write them: four significant figures (240, 12.5, 1,730)."""
    return float(f"{rate:.4g}")


def plan_text(search: Search) -> str:
    """The search's plan in one line, as the console says it."""
    growth: list[str] = []
    rate = search.start
    while rate < search.stop and len(growth) < 12:
        growth.append(f"{rate:g}")
        rate *= GROWTH
    growth.append(f"{search.stop:g}")
    return (
        f"rates {', '.join(growth)}/s until a hold breaks a rule, "
        f"then halves the gap until within {search.precision * 100:g}%"
    )
