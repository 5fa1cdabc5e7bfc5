"""Compare a run with a baseline: per step, flow and total, the change in p50/p95/p99, rate
and error rate, flagged when beyond a tolerance.

Noise: two runs of the same setup never agree exactly, so a change counts only
when it is both large and well measured.

- An entry is judged only when both runs have at least `min_requests` requests
  (default 100); a percentile only when at least 10 requests of each run lie
  beyond it (p95: 200 requests, p99: 1,000), since a tail of two or three
  requests is chance.
- A latency is worse when it grew by more than `tolerance` (default 10%) *and*
  by more than `min_delta_ms` (default 2 ms; a 0.4 → 0.5 ms change is +25% of
  nothing). The rate is worse when it fell by more than `tolerance`.
- The error rate is worse when it grew by more than `error_tolerance`
  (default 0.5 percentage points) and the new run has at least 5 failures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..common._errors import ConfigError
from ._figures import Figures

LATENCIES = ("p50", "p95", "p99")
WORSE, BETTER, SAME, NOISE = "WORSE", "better", "", "too few requests"


@dataclass(frozen=True)
class Tolerance:
    """How large a change must be to count (see the module's docstring)."""

    relative: float = 0.10
    min_delta_ms: float = 2.0
    error_rate: float = 0.005
    min_requests: int = 100
    min_failures: int = 5


@dataclass(frozen=True)
class Change:
    """One metric of one entry in both runs."""

    entry: str
    metric: str
    base: float
    new: float
    flag: str

    @property
    def relative(self) -> float | None:
        return (self.new - self.base) / self.base if self.base else None


def read_summary(path: Path) -> dict[str, Any]:
    """A run folder's summary.json, or a summary.json file; a bad path is a ConfigError (exit 2)."""
    file = path / "summary.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{file}: not a readable summary.json ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), dict):
        raise ConfigError(f"{file}: no figures per step (a run that did not complete?)")
    return data


def entries(data: dict[str, Any]) -> dict[str, Figures]:
    """Steps, flows (`flow NAME`) and `total` of a summary as figures."""
    names = [field.name for field in fields(Figures)]
    found = {name: _figures(names, item) for name, item in data["steps"].items()}
    found |= {f"flow {name}": _figures(names, item) for name, item in data.get("cycles", {}).items()}
    if isinstance(data.get("total"), dict):
        found["total"] = _figures(names, data["total"])
    return found


def baseline_figures(path: Path) -> dict[str, Figures]:
    """A baseline for relative thresholds: figures by target name (step, flow or `total`)."""
    return {name.removeprefix("flow "): figures for name, figures in entries(read_summary(path)).items()}


def _figures(names: list[str], item: dict[str, Any]) -> Figures:
    try:
        return Figures(**{name: item[name] for name in names if name in item})
    except TypeError as error:
        raise ConfigError(f"summary.json: figures missing a field ({error})") from None


def compare(base: dict[str, Figures], new: dict[str, Figures], tolerance: Tolerance) -> list[Change]:
    """Every metric of every entry in both runs, in the new run's order."""
    changes = []
    for name, after in new.items():
        before = base.get(name)
        if before is None:
            continue
        judged = min(before.requests, after.requests) >= tolerance.min_requests
        for metric in LATENCIES:
            needed = max(tolerance.min_requests, math.ceil(10 * 100 / (100 - float(metric[1:]))))
            ok = min(before.requests, after.requests) >= needed
            flag = _latency(before.metric(metric), after.metric(metric), tolerance) if ok else NOISE
            changes.append(Change(name, metric, before.metric(metric), after.metric(metric), flag))
        flag = _rate(before.rps, after.rps, tolerance) if judged else NOISE
        changes.append(Change(name, "rps", before.rps, after.rps, flag))
        flag = _errors(before, after, tolerance) if judged else NOISE
        changes.append(Change(name, "error_rate", before.error_rate, after.error_rate, flag))
    return changes


def _latency(before: float, after: float, tolerance: Tolerance) -> str:
    delta = after - before
    if delta > tolerance.min_delta_ms and after > before * (1 + tolerance.relative):
        return WORSE
    if -delta > tolerance.min_delta_ms and after < before * (1 - tolerance.relative):
        return BETTER
    return SAME


def _rate(before: float, after: float, tolerance: Tolerance) -> str:
    if after < before * (1 - tolerance.relative):
        return WORSE
    return BETTER if after > before * (1 + tolerance.relative) else SAME


def _errors(before: Figures, after: Figures, tolerance: Tolerance) -> str:
    grew = after.error_rate - before.error_rate
    if grew > tolerance.error_rate and after.failures >= tolerance.min_failures:
        return WORSE
    return BETTER if -grew > tolerance.error_rate else SAME


def regressions(changes: list[Change]) -> list[Change]:
    return [change for change in changes if change.flag == WORSE]


def _value(metric: str, value: float) -> str:
    if metric == "error_rate":
        return f"{value * 100:.2f}%"
    return f"{value:.1f}/s" if metric == "rps" else f"{value:.1f}ms"


def _delta(change: Change) -> str:
    if change.metric == "error_rate":
        return f"{(change.new - change.base) * 100:+.2f}pp"
    relative = change.relative
    return "n/a" if relative is None else f"{relative * 100:+.1f}%"


def render(changes: list[Change], base_id: str, new_id: str, tolerance: Tolerance) -> str:
    """A plain-text table (also valid Markdown) and a verdict line."""
    lines = [
        f"authload compare: base {base_id} -> new {new_id}",
        f"(tolerance {tolerance.relative * 100:g}% and {tolerance.min_delta_ms:g} ms for latencies, "
        f"{tolerance.relative * 100:g}% for rate, {tolerance.error_rate * 100:g} percentage points for "
        f"errors; entries under {tolerance.min_requests} requests not judged)",
        "",
        "| entry | metric | base | new | change | flag |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.entry} | {c.metric} | {_value(c.metric, c.base)} | {_value(c.metric, c.new)} "
        f"| {_delta(c)} | {c.flag} |"
        for c in changes
    ]
    worse = regressions(changes)
    verdict = f"REGRESSION: {len(worse)} metric(s) worse" if worse else "OK: no regression"
    if worse:
        verdict += " (" + ", ".join(f"{c.entry} {c.metric} {_delta(c)}" for c in worse) + ")"
    return "\n".join([*lines, "", verdict])
