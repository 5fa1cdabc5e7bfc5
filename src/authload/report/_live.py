"""A run's figures while it runs, for the live exporters (Prometheus's `/metrics`, OpenTelemetry).

One snapshot, built the way summary.json is (`build_summary` over the same recorder, which on
a master holds every worker's figures), so a live count and the report's count are the same
number. Label values are bounded: a step's error codes beyond `MAX_CODES` and HTTP endpoints
beyond `MAX_ENDPOINTS` are folded into `other`; steps, flows and rules come from the scenario.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..scenario import LOCAL_STEPS
from ._build import RunFacts, build_summary
from ._recorder import CYCLE, STEP, Series

# Histogram buckets (seconds), fixed so that dashboards and alerts can rely on them.
BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MAX_CODES = 20  # distinct error codes per step; the rest are counted as `other`
MAX_ENDPOINTS = 50  # distinct HTTP endpoints; the rest are counted as `other`
OTHER = "other"
OK, ERROR = "ok", "error"


@dataclass(frozen=True)
class Histogram:
    """Cumulative counts at each of `BUCKETS_S` (then +Inf = count), and the sum in seconds."""

    cumulative: list[int]
    count: int
    sum_s: float


@dataclass
class Snapshot:
    """Everything the exporters show, as (labels..., value) rows."""

    info: dict[str, str]
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # step, outcome
    errors: list[tuple[str, str, int]] = field(default_factory=list)  # step, code
    step_durations: dict[str, Histogram] = field(default_factory=dict)
    cycles: list[tuple[str, str, int]] = field(default_factory=list)  # flow, outcome
    cycle_durations: dict[str, Histogram] = field(default_factory=dict)
    http: list[tuple[str, str, int]] = field(default_factory=list)  # endpoint, host
    arrivals: dict[str, int] = field(default_factory=dict)  # scheduled, started, dropped
    goodput: dict[str, float] = field(default_factory=dict)  # flow (and "total") -> cycles/s
    thresholds: dict[str, bool] = field(default_factory=dict)  # "KEY RULE" -> holds now
    users: int = 0
    percentiles: dict[str, dict[str, float]] = field(default_factory=dict)  # step -> p50/p95/p99 (s)


def histogram_of(series: Series) -> Histogram:
    """The HDR histogram's exact counts at each bucket bound (values in microseconds): a value
    counts under a bound when its HDR bucket starts at or below it."""
    hdr, cumulative = series.histogram, series.cumulative()  # (reading it folds every value in)
    total = int(hdr.get_total_count())
    indexes = [hdr.get_counts_array_index(round(bound * 1_000_000)) for bound in BUCKETS_S]
    counts = [cumulative[index] if index < len(cumulative) else total for index in indexes]
    return Histogram(counts, total, series.sum_us / 1_000_000)


def _folded(rows: Iterable[tuple[str, str, int]], cap: int) -> list[tuple[str, str, int]]:
    """Rows of one first label, the second label's values beyond `cap` (by count) as `other`."""
    by_first: dict[str, list[tuple[str, int]]] = {}
    for first, second, value in rows:
        by_first.setdefault(first, []).append((second, value))
    found = []
    for first, items in by_first.items():
        items.sort(key=lambda item: (-item[1], item[0]))
        kept, rest = items[:cap], sum(value for _, value in items[cap:])
        found += [(first, second, value) for second, value in kept]
        if rest:
            found.append((first, OTHER, rest))
    return found


def snapshot(facts: RunFacts, *, users: int, version: str) -> Snapshot:
    """The live figures of the run `facts` describes (its recorder as it is now)."""
    summary = build_summary(facts)
    found = Snapshot(
        info={
            "run_id": summary.run_id,
            "scenario": summary.scenario,
            "environment": summary.environment,
            "version": version,
        },
        users=users,
    )
    series = facts.recorder.series
    for name, figures in summary.steps.items():
        if name in LOCAL_STEPS:
            continue  # not on the wire: not in total.requests either
        found.requests += [(name, OK, figures.requests - figures.failures), (name, ERROR, figures.failures)]
        found.errors += [(name, code, count) for code, count in figures.errors_by_code.items()]
        if (STEP, name) in series:
            found.step_durations[name] = histogram_of(series[(STEP, name)])
        found.percentiles[name] = {f"p{p}": getattr(figures, f"p{p}") / 1000 for p in (50, 95, 99)}
    found.errors = _folded(found.errors, MAX_CODES)
    for name, figures in summary.cycles.items():
        found.cycles += [(name, OK, figures.requests - figures.failures), (name, ERROR, figures.failures)]
        found.cycle_durations[name] = histogram_of(series[(CYCLE, name)])
        found.goodput[name] = figures.goodput
    found.goodput["total"] = summary.total.goodput
    endpoints = (summary.http or {}).get("load", {}).get("by_endpoint", {})
    rows = sorted(
        ((key, entry["host"], int(entry["requests"])) for key, entry in endpoints.items()), key=_busiest
    )
    found.http = rows[:MAX_ENDPOINTS]
    if len(rows) > MAX_ENDPOINTS:
        found.http.append((OTHER, OTHER, sum(value for _, _, value in rows[MAX_ENDPOINTS:])))
    arrivals: dict[str, Any] = (summary.open_model or {}).get("arrivals") or {}
    if arrivals:
        found.arrivals = {state: int(arrivals[state]) for state in ("scheduled", "started", "dropped")}
    for verdict in summary.verdicts:
        if not verdict.skipped:
            found.thresholds[f"{verdict.threshold.key} {verdict.threshold.text}"] = verdict.passed
    return found


def _busiest(row: tuple[str, str, int]) -> tuple[int, str]:
    return -row[2], row[0]


__all__ = [
    "BUCKETS_S",
    "MAX_CODES",
    "MAX_ENDPOINTS",
    "OTHER",
    "Histogram",
    "Snapshot",
    "histogram_of",
    "snapshot",
]
