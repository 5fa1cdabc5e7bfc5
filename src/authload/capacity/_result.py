"""The search's outcome, from its probes: the rate proven, what broke first, who gave out, and
the verdict of `capacity.max_rate` rules. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..common._errors import EXIT_OK, EXIT_RUN_ERROR, EXIT_THRESHOLDS_FAILED
from ..scenario import Threshold
from ._probe import ERROR, GENERATOR, PASS, Probe
from ._search import BACKEND, SEARCH_RANGE, Search
from ._search import GENERATOR as LIMITED_BY_GENERATOR


@dataclass
class Outcome:
    """What `authload capacity` found."""

    search: Search
    probes: list[Probe]
    capacity_rules: list[Threshold]
    interrupted: bool = False
    plan: dict[str, Any] = field(default_factory=dict)

    @property
    def failed_probe(self) -> Probe | None:
        """The probe that ended the search early: generator-limited, or one that did not complete."""
        return next((probe for probe in self.probes if probe.verdict in (GENERATOR, ERROR)), None)

    @property
    def complete(self) -> bool:
        failed = self.failed_probe
        return not self.interrupted and (failed is None or failed.verdict == GENERATOR) and bool(self.probes)

    @property
    def max_rate(self) -> float | None:
        """The highest rate that held (generator-limited: a lower bound, at least what was
        delivered by the probe that gave out while every rule held)."""
        held = [probe.rate for probe in self.probes if probe.verdict == PASS]
        failed = self.failed_probe
        if failed is not None and failed.verdict == GENERATOR and failed.rules:
            if all(rule["passed"] for rule in failed.rules.values()):
                held.append(round(failed.achieved_rate, 3))
        return max(held, default=None)

    @property
    def first_failing(self) -> Probe | None:
        return min((p for p in self.probes if p.verdict == "fail"), key=lambda p: p.rate, default=None)

    @property
    def limited_by(self) -> str:
        if self.failed_probe is not None and self.failed_probe.verdict == GENERATOR:
            return LIMITED_BY_GENERATOR
        return BACKEND if self.first_failing is not None else SEARCH_RANGE

    def advice(self) -> str | None:
        failed = self.failed_probe
        if self.limited_by == LIMITED_BY_GENERATOR and failed is not None:
            bound = f"{self.max_rate:g}/s" if self.max_rate is not None else "nothing"
            return (
                f"the load generator gave out at {failed.rate:g}/s ({'; '.join(failed.generator_limits)}): "
                f"the backend's capacity is at least {bound}, not measured; add what is named "
                "(--max-users, --processes, or workers on more machines) and search again"
            )
        if self.limited_by == SEARCH_RANGE and self.probes:
            return f"every rule held up to --to {self.search.stop:g}/s: the capacity is higher; raise --to"
        if self.limited_by == BACKEND and self.max_rate is None and self.first_failing is not None:
            return f"a rule broke at the first rate, {self.first_failing.rate:g}/s: lower --from"
        return None

    def rule_verdicts(self) -> list[dict[str, Any]]:
        """Each `capacity.max_rate` rule against the rate found (no rate: it fails)."""
        found = self.max_rate
        verdicts = []
        for rule in self.capacity_rules:
            passed = found is not None and self.complete and rule.holds(found)
            if self.limited_by == LIMITED_BY_GENERATOR:
                passed = False  # a lower bound proves nothing against a floor it did not reach
            verdicts.append(
                {
                    "threshold": rule.key,
                    "rule": rule.text,
                    "measured": found,
                    "limit": rule.limit,
                    "unit": "per_second",
                    "passed": passed,
                }
            )
        return verdicts

    @property
    def exit_code(self) -> int:
        """3 when the search could not finish or the generator gave out; 1 when a
        `capacity.max_rate` rule fails; else 0 (the backend's limit was found)."""
        if not self.complete or self.limited_by == LIMITED_BY_GENERATOR:
            return EXIT_RUN_ERROR
        if not all(verdict["passed"] for verdict in self.rule_verdicts()):
            return EXIT_THRESHOLDS_FAILED
        return EXIT_OK

    def to_json(self) -> dict[str, Any]:
        failing = self.first_failing
        return {
            "max_rate": self.max_rate,
            "first_failing_rate": failing.rate if failing is not None else None,
            "limiting_rule": failing.broken_rule if failing is not None else None,
            "limited_by": self.limited_by,
            "advice": self.advice(),
            "precision": self.search.precision,
            "plan": self.plan,
            "probes": [probe.to_json() for probe in self.probes],
        }

    def headline(self) -> str:
        """One line: `capacity 290/s (first failing 310/s: login_auth_token.p95 < 250ms)`."""
        found = "none" if self.max_rate is None else f"{self.max_rate:g}/s"
        failing = self.first_failing
        if not self.complete:
            failed = self.failed_probe
            why = "interrupted" if self.interrupted else (failed.error if failed else "no probe ran")
            return f"capacity search did not finish ({why}); held so far: {found}"
        if self.limited_by == LIMITED_BY_GENERATOR:
            return f"capacity at least {found}: LIMITED BY THE LOAD GENERATOR, not the backend"
        if failing is None:
            return f"capacity above {found} (every rule held up to --to)"
        return f"capacity {found} (first failing {failing.rate:g}/s: {failing.broken_rule})"


__all__ = ["BACKEND", "SEARCH_RANGE", "Outcome"]
