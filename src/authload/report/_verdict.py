"""Evaluate thresholds against the figures: each rule's measured value and verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..scenario import TOTAL, Threshold
from ._figures import Figures


@dataclass(frozen=True)
class Verdict:
    """One threshold, what was measured, and whether it held."""

    threshold: Threshold
    measured: float | None
    passed: bool

    def to_json(self) -> dict[str, Any]:
        unit = "ms" if self.threshold.metric not in ("error_rate", "requests") else None
        data: dict[str, Any] = {
            "threshold": self.threshold.key,
            "rule": self.threshold.text,
            "measured": None if self.measured is None else round(self.measured, 6),
            "unit": unit or ("fraction" if self.threshold.metric == "error_rate" else "count"),
            "passed": self.passed,
        }
        if self.threshold.note:
            data["note"] = self.threshold.note  # the default guard says so
        return data

    def describe(self) -> str:
        """`login_auth_token.p95 < 250ms: 12.3ms PASS`."""
        shown = "no data" if self.measured is None else _format(self.threshold.metric, self.measured)
        guard = " (default guard)" if self.threshold.note else ""
        return (
            f"{self.threshold.key} {self.threshold.text}{guard}: {shown} {'PASS' if self.passed else 'FAIL'}"
        )


def evaluate(
    thresholds: list[Threshold], steps: dict[str, Figures], cycles: dict[str, Figures], total: Figures
) -> list[Verdict]:
    """A rule on an entry that saw no request fails, except a `requests` rule that allows 0."""
    verdicts = []
    for rule in thresholds:
        figures = total if rule.target == TOTAL else steps.get(rule.target) or cycles.get(rule.target)
        if figures is None or (figures.requests == 0 and rule.metric != "requests"):
            verdicts.append(Verdict(rule, None, False))
            continue
        measured = figures.metric(rule.metric)
        verdicts.append(Verdict(rule, measured, rule.holds(measured)))
    return verdicts


def _format(metric: str, value: float) -> str:
    if metric == "error_rate":
        return f"{value * 100:.2f}%"
    if metric == "requests":
        return str(int(value))
    return f"{value:.1f}ms"
