"""What the report needs besides the summary: run metadata, the time series, the baseline.

A baseline (`--baseline DIR`, a run folder or its summary.json) gives the
limits of relative thresholds (`"< +10% baseline"`); one that cannot be read
is logged and its rules are skipped, never a crash at the end of a run.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .._exceptions import ConfigError
from ..report import RunSummary, baseline_figures, evaluate, run_meta
from ._plan import RunState

log = logging.getLogger("authload")


def report_inputs(options: Any, state: RunState, summary: RunSummary) -> dict[str, Any]:
    """`write_reports`' keyword arguments; re-evaluates relative thresholds against the baseline."""
    assert state.plan is not None
    state.recorder.tick()  # the last, partial interval
    baseline = getattr(options, "baseline", "") or ""
    if baseline and any(verdict.threshold.relative for verdict in summary.verdicts):
        try:
            figures = baseline_figures(Path(baseline))
        except ConfigError as error:
            log.error("baseline: %s; its relative thresholds are skipped", error)
        else:
            rules = [verdict.threshold for verdict in summary.verdicts]
            summary.verdicts = evaluate(rules, summary.steps, summary.cycles, summary.total, figures)
    load = {
        "users": getattr(options, "num_users", None),
        "spawn_rate": getattr(options, "spawn_rate", None),
        "run_time": getattr(options, "run_time", None),
        "processes": getattr(options, "processes", None),
        "baseline": baseline or None,
    }
    return {
        "meta": run_meta({key: value for key, value in load.items() if value is not None}),
        "series": state.recorder.timelines,
        "started_at": state.started_at,
    }
