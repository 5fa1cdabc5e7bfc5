"""Evaluate thresholds against the figures: each rule's measured value, limit and verdict.

A rule relative to a baseline (`"< +10% baseline"`) takes its limit from the
baseline run's figures for the same entry; with no baseline, or a baseline
that saw nothing of that entry, it is skipped (shown as SKIP, never a PASS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..scenario import TOTAL, Threshold
from ..scenario._thresholds import CAPACITY
from ._figures import Figures

FRACTIONS = ("error_rate", "drop_rate", "throttle_rate")
COUNTS = ("requests", "dropped", "correctness_failures", "skipped", "throttled", "retried")
PER_SECOND = ("goodput", "max_rate")
SECONDS = ("stalled_s",)  # everything else is a latency (ms)


@dataclass(frozen=True)
class Verdict:
    """One threshold, what was measured, the limit it was held to, and whether it held."""

    threshold: Threshold
    measured: float | None
    passed: bool
    limit: float | None = None  # None: the rule's own (absolute) limit
    skipped: str = ""  # why a relative rule was not evaluated

    @property
    def unit(self) -> str:
        metric = self.threshold.metric
        if metric in FRACTIONS:
            return "fraction"
        if metric in COUNTS:
            return "count"
        return "per_second" if metric in PER_SECOND else ("s" if metric in SECONDS else "ms")

    @property
    def effective_limit(self) -> float | None:
        if self.threshold.relative:
            return self.limit
        return self.threshold.limit

    def to_json(self) -> dict[str, Any]:
        limit = self.effective_limit
        data: dict[str, Any] = {
            "threshold": self.threshold.key,
            "rule": self.threshold.text,
            "measured": None if self.measured is None else round(self.measured, 6),
            "limit": None if limit is None else round(limit, 6),
            "unit": self.unit,
            "passed": self.passed,
        }
        if self.skipped:
            data["skipped"] = self.skipped
        if self.threshold.note:
            data["note"] = self.threshold.note  # the default guard says so
        return data

    def describe(self) -> str:
        """`login_auth_token.p95 < 250ms: 12.3ms PASS`."""
        shown = "no data" if self.measured is None else format_value(self.threshold.metric, self.measured)
        guard = " (default guard)" if self.threshold.note else ""
        limit = self.effective_limit
        relative = ""
        if self.threshold.relative and limit is not None:
            relative = f" (limit {format_value(self.threshold.metric, limit)})"
        result = f"SKIP ({self.skipped})" if self.skipped else ("PASS" if self.passed else "FAIL")
        return f"{self.threshold.key} {self.threshold.text}{guard}{relative}: {shown} {result}"

    def comparison(self) -> str:
        """What was measured against the limit, as a true statement: `p95 412ms > 250ms`."""
        metric, limit = self.threshold.metric, self.effective_limit
        if self.skipped or limit is None:
            return f"{metric}: {self.skipped or 'no limit'}"
        if self.measured is None:
            return f"{metric}: no requests (limit {self.threshold.op} {format_value(metric, limit)})"
        sign = ">" if self.measured > limit else ("<" if self.measured < limit else "=")
        return f"{metric} {format_value(metric, self.measured)} {sign} {format_value(metric, limit)}"


def evaluate(
    thresholds: list[Threshold],
    steps: dict[str, Figures],
    cycles: dict[str, Figures],
    total: Figures,
    baseline: Mapping[str, Figures] | None = None,
) -> list[Verdict]:
    """A rule on an entry that saw no request fails, except a `requests` rule that allows 0.

    `baseline` maps entry names (steps, flows, `total`) to a baseline run's figures."""
    verdicts = []
    for rule in thresholds:
        if rule.target == CAPACITY:  # judged by a capacity search, from its probes
            verdicts.append(Verdict(rule, None, True, skipped="judged by authload capacity"))
            continue
        figures = total if rule.target == TOTAL else steps.get(rule.target) or cycles.get(rule.target)
        measured = None
        if figures is not None and (figures.requests or rule.metric == "requests"):
            measured = figures.metric(rule.metric)
        if rule.relative:
            verdicts.append(_relative(rule, measured, (baseline or {}).get(rule.target), baseline))
        elif measured is None:
            verdicts.append(Verdict(rule, None, False))
        else:
            verdicts.append(Verdict(rule, measured, rule.holds(measured)))
    return verdicts


def _relative(
    rule: Threshold, measured: float | None, base: Figures | None, baseline: Mapping[str, Figures] | None
) -> Verdict:
    if baseline is None:
        return Verdict(rule, measured, True, skipped="no baseline given")
    if base is None or not base.requests:
        return Verdict(rule, measured, True, skipped=f"the baseline has no requests for {rule.target}")
    limit = rule.limit_from(base.metric(rule.metric))
    if measured is None:
        return Verdict(rule, None, False, limit)
    return Verdict(rule, measured, rule.holds(measured, limit), limit)


def format_value(metric: str, value: float) -> str:
    """A metric's value as a person reads it: `412ms`, `12.3ms`, `1.50%`, `1000`."""
    if metric in FRACTIONS:
        return f"{value * 100:.2f}%"
    if metric in COUNTS:
        return str(int(value))
    if metric in PER_SECOND:
        return f"{value:.1f}/s"
    if metric in SECONDS:
        return f"{value:.1f}s"
    return f"{value:.0f}ms" if value >= 100 else f"{value:.1f}ms"
