"""What the report needs besides the summary: run metadata, the time series, the baseline;
and, from `init`, the interval ticker and the run's progress line.

A baseline (`--baseline DIR`, a run folder or its summary.json) gives the
limits of relative thresholds (`"< +10% baseline"`); one that cannot be read
is logged and its rules are skipped, never a crash at the end of a run.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import gevent
from locust.runners import WorkerRunner

from ...common._errors import ConfigError
from ...report import RunSummary, baseline_figures, evaluate, run_meta
from ...report import _progress as progress
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
        "meta": run_meta(
            {key: value for key, value in load.items() if value is not None},
            tls_verify=state.plan.target.tls_verify,
        ),
        "series": state.recorder.timelines,
        "started_at": state.started_at,
    }


def start_recording(environment: Any, state: RunState) -> None:
    """In `init`: close time-series intervals on the clock; show the run's progress where Locust
    shows none (headless with --only-summary, as `authload run` starts it). Workers stay quiet."""
    gevent.spawn(state.recorder.tick_forever, gevent.sleep)
    progress.enable(not isinstance(environment.runner, WorkerRunner))
    options = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner) or not options.headless:
        return
    if not getattr(options, "only_summary", False):
        return

    def show_run(**_: Any) -> None:
        gevent.spawn(_run_progress, state, _seconds(getattr(options, "run_time", None)))

    environment.events.test_start.add_listener(show_run)


def _run_progress(state: RunState, run_time: float | None) -> None:
    describe = progress.run_line(state.recorder, state.started_at or time.time(), run_time)
    with progress.phase("run", describe=describe):
        while not state.stopped_at:
            gevent.sleep(0.2)


def _seconds(run_time: Any) -> float | None:
    try:
        return float(run_time) if run_time else None
    except (TypeError, ValueError):
        return None
