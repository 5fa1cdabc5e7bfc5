"""Threshold rules: `login_auth_token.p95: "< 250ms"`, `total.error_rate: "< 1%"`.

A rule names a target (a step, a flow's whole cycle, or `total`), a metric and
a comparison. Latency values carry a unit (ms or s) and are kept in
milliseconds; error rates take a percent sign or a fraction (at most 100%);
counts are plain.

A scenario without a `thresholds` section still gets the default guard,
`total.error_rate < 5%` and `total.correctness_failures == 0`, so a run whose
backend failed most requests, or answered a step that expects a failure with
a success, cannot pass; `thresholds: {}` says "no rules" explicitly and turns it off.

A rule may be relative to a baseline run (`authload run --baseline DIR`):
`"< +10% baseline"` (the baseline's value times 1.10; any metric) or
`"< +50ms baseline"` (added to a latency). Without a baseline it is skipped.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

LATENCY_METRICS = ("p50", "p90", "p95", "p99", "max")
RATE_METRICS = ("error_rate", "throttle_rate")  # fractions: "< 1%" or "< 0.01"
PER_SECOND_METRICS = ("goodput",)  # "> 100/s" or "> 100"
METRICS = (
    *LATENCY_METRICS,
    *RATE_METRICS,
    *PER_SECOND_METRICS,
    "requests",
    "correctness_failures",
    "skipped",
    "throttled",
    "retried",
    "stalled_s",
)
TOTAL = "total"
ARRIVALS = "arrivals"  # open model: `arrivals.dropped` (count), `arrivals.drop_rate` (of scheduled)
ARRIVAL_METRICS = ("dropped", "drop_rate")
CAPACITY = "capacity"  # `authload capacity`: `capacity.max_rate: ">= 400/s"`
CAPACITY_METRICS = ("max_rate",)
DEFAULT_GUARD = (
    ("total.error_rate", "< 5%"),
    ("total.correctness_failures", "== 0"),
    ("total.stalled_s", "== 0"),
)
DEFAULT_GUARD_NOTE = (
    "default guard (total.error_rate < 5%, total.correctness_failures == 0, total.stalled_s == 0): "
    "the scenario sets no thresholds (`thresholds: {}` turns it off)"
)

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
    "==": operator.eq,
}
_RULE = re.compile(r"^\s*(<=|>=|==|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|s|%|/s)?\s*$")
_RELATIVE = re.compile(r"^\s*(<=|>=|<|>)\s*([+-]\d+(?:\.\d+)?)\s*(ms|s|%)\s*baseline\s*$")


@dataclass(frozen=True, slots=True)
class Threshold:
    """One rule, parsed. `limit` is in ms for latency, a fraction for error_rate."""

    key: str
    target: str
    metric: str
    op: str
    limit: float
    text: str
    note: str = ""
    relative: str = ""  # "%" or "ms": `limit` is then a change from the baseline's value

    def holds(self, measured: float, limit: float | None = None) -> bool:
        """Whether the measured value satisfies the rule (against `limit` when given)."""
        return _OPERATORS[self.op](measured, self.limit if limit is None else limit)

    def limit_from(self, baseline: float) -> float:
        """A relative rule's limit given the baseline's value of the same metric."""
        if self.relative == "%":
            return baseline * (1 + self.limit / 100)
        return baseline + self.limit


def parse_threshold(key: str, rule: object, targets: set[str], note: str = "") -> Threshold:
    """Parse one rule; raises `ValueError` with a message meant for a person."""
    target, _, metric = key.rpartition(".")
    if not target:
        raise ValueError(f"threshold key {key!r} must be TARGET.METRIC, e.g. login_auth_token.p95")
    if target == ARRIVALS and target in targets:
        return _arrival_rule(key, metric, rule, note)
    if target == CAPACITY:
        return _capacity_rule(key, metric, rule, note)
    if target not in targets:
        known = ", ".join(sorted(targets))
        raise ValueError(
            f"unknown threshold target {target!r}: not a step or flow of this scenario ({known})"
        )
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    relative = _RELATIVE.match(rule) if isinstance(rule, str) else None
    if relative is not None:
        return _relative(key, target, metric, relative, note)
    match = _RULE.match(str(rule)) if isinstance(rule, str | int | float) else None
    if match is None:
        raise ValueError(f'rule {rule!r} must read like "< 250ms", "<= 1%", "> 100" or "< +10% baseline"')
    op, number, unit = match.group(1), float(match.group(2)), match.group(3)
    if not math.isfinite(number):
        raise ValueError(f"rule {rule!r} has a number too large to compare with")
    return Threshold(key, target, metric, op, _limit(metric, number, unit), str(rule).strip(), note)


def _arrival_rule(key: str, metric: str, rule: object, note: str) -> Threshold:
    if metric not in ARRIVAL_METRICS:
        raise ValueError(f'arrivals take {" or ".join(ARRIVAL_METRICS)}, e.g. arrivals.dropped: "== 0"')
    match = _RULE.match(str(rule)) if isinstance(rule, str | int | float) else None
    if match is None:
        raise ValueError(f'rule {rule!r} must read like "== 0", "< 100" or "< 1%"')
    op, number, unit = match.group(1), float(match.group(2)), match.group(3)
    limit = _limit("error_rate" if metric == "drop_rate" else "requests", number, unit)
    return Threshold(key, ARRIVALS, metric, op, limit, str(rule).strip(), note)


def _capacity_rule(key: str, metric: str, rule: object, note: str) -> Threshold:
    if metric not in CAPACITY_METRICS:
        raise ValueError('capacity takes max_rate, e.g. capacity.max_rate: ">= 400/s"')
    match = _RULE.match(str(rule)) if isinstance(rule, str | int | float) else None
    if match is None or match.group(3) not in (None, "/s"):
        raise ValueError(f'rule {rule!r} must read like ">= 400/s"')
    return Threshold(key, CAPACITY, metric, match.group(1), float(match.group(2)), str(rule).strip(), note)


def _limit(metric: str, number: float, unit: str | None) -> float:
    if metric in LATENCY_METRICS:
        if unit not in ("ms", "s"):
            raise ValueError(f"{metric} needs a time unit, e.g. 250ms or 1s")
        return number * 1000 if unit == "s" else number
    if metric in RATE_METRICS:
        if unit == "%" and number <= 100:
            return number / 100
        if unit is None and number <= 1:
            return number
        raise ValueError(f"{metric} takes a percentage up to 100% (e.g. 1%) or a fraction up to 1")
    allowed, example = _UNITS.get(metric, ((None,), f"{metric} is a count and takes no unit"))
    if unit not in allowed:
        raise ValueError(example)
    return number


_UNITS: dict[str, tuple[tuple[str | None, ...], str]] = {
    "goodput": ((None, "/s"), "goodput is per second, e.g. > 100/s"),
    "stalled_s": ((None, "s"), "stalled_s is in seconds, e.g. == 0 or < 2s"),
}


def _relative(key: str, target: str, metric: str, match: re.Match[str], note: str) -> Threshold:
    op, number, unit = match.group(1), float(match.group(2)), match.group(3)
    if not math.isfinite(number):
        raise ValueError(f"rule {match.group(0)!r} has a number too large to compare with")
    if unit != "%" and metric not in LATENCY_METRICS:
        raise ValueError(f'{metric} changes from a baseline in percent, e.g. "< +10% baseline"')
    change = number * 1000 if unit == "s" else number
    return Threshold(
        key, target, metric, op, change, match.group(0).strip(), note, "%" if unit == "%" else "ms"
    )
