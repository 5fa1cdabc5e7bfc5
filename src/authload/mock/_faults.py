"""Fault injection: which configured faults hit a request, drawn from seeded RNGs.

Each rule owns a `random.Random` seeded from (`MockConfig.seed`, rule index),
and rolls it once per matching request, so a rule's hits reproduce whatever
the other rules do. A request gets the sum of its latency hits, at most one
*terminal* fault (error, reset or non-JSON: the first rule that hits, in
order), and at most one slow-body delivery. The caller applies the plan and
counts each applied fault once.
"""

from __future__ import annotations

import fnmatch
import math
import random
from dataclasses import dataclass

from ._config import (
    CapacityFault,
    ErrorFault,
    FaultRule,
    LatencyFault,
    NonJsonFault,
    ResetFault,
    SlowBodyFault,
)

Terminal = ErrorFault | ResetFault | NonJsonFault


@dataclass(slots=True)
class FaultPlan:
    """What to do to one request."""

    delay: float = 0.0  # seconds
    latency_hits: int = 0
    terminal: Terminal | None = None
    slow: SlowBodyFault | None = None


class _Rule:
    __slots__ = ("path", "method", "rng", "spec")

    def __init__(self, spec: FaultRule, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng
        self.method = spec.method.upper() if spec.method else None
        self.path = spec.path

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


class FaultInjector:
    """Holds the rules; `plan()` is called once per counted request."""

    def __init__(self, faults: tuple[FaultRule, ...], seed: int) -> None:
        self._faults = faults
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        """Restart every rule's RNG from `seed`."""
        self._rules = [_Rule(spec, random.Random(f"{seed}:{i}")) for i, spec in enumerate(self._faults)]
        self._by_route: dict[str, list[_Rule]] = {}

    def _candidates(self, route: str) -> list[_Rule]:
        rules = self._by_route.get(route)
        if rules is None:
            rules = [r for r in self._rules if r.spec.route in (None, "*", route)]
            self._by_route[route] = rules
        return rules

    def plan(self, route: str, method: str, path: str) -> FaultPlan | None:
        """The faults that hit this request, or None (the common case, kept cheap)."""
        rules = self._candidates(route) if self._rules else ()
        if not rules:
            return None
        plan = FaultPlan()
        for rule in rules:
            if not rule.matches(method, path):
                continue
            spec = rule.spec
            if rule.rng.random() >= spec.probability:
                continue
            if isinstance(spec, CapacityFault):
                continue  # a queue, not a draw (`_capacity`)
            if isinstance(spec, LatencyFault):
                plan.delay += draw_delay(spec, rule.rng)
                plan.latency_hits += 1
            elif isinstance(spec, SlowBodyFault):
                plan.slow = plan.slow or spec
            elif plan.terminal is None:
                plan.terminal = spec
        return plan


def draw_delay(spec: LatencyFault, rng: random.Random) -> float:
    """One delay in seconds from the rule's distribution, capped at `max_ms`."""
    if spec.distribution == "uniform":
        ms = rng.uniform(spec.low_ms, max(spec.low_ms, spec.high_ms))
    elif spec.distribution == "lognormal":
        ms = rng.lognormvariate(math.log(spec.median_ms), spec.sigma) if spec.median_ms > 0 else 0.0
    else:
        ms = spec.ms
    return min(ms, spec.max_ms) / 1000.0
