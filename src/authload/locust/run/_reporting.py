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

from ...common import ConfigError
from ...common._redact import Redactor
from ...report import (
    RunSummary,
    baseline_figures,
    build_summary,
    console_table,
    evaluate,
    run_line,
    run_meta,
    write_reports,
)
from .. import _compat

log = logging.getLogger("authload")


def report_inputs(run: Any, summary: RunSummary) -> dict[str, Any]:
    """`write_reports`' keyword arguments; re-evaluates relative thresholds against the baseline."""
    options = run.options
    run.recorder.tick()  # the last, partial interval
    baseline = getattr(options, "baseline", "") or ""
    if baseline and any(verdict.threshold.relative for verdict in summary.verdicts):
        try:
            figures = baseline_figures(Path(baseline))
        except ConfigError as error:
            log.error("baseline: %s; its relative thresholds are skipped", error)
        else:
            rules = [verdict.threshold for verdict in summary.verdicts]
            summary.verdicts = evaluate(rules, summary.steps, summary.cycles, summary.total, figures)
    return {
        "meta": run_meta(described_load(run), tls_verify=run.plan.target.tls_verify),
        "series": run.recorder.timelines,
        "started_at": run.started_at,
    }


def described_load(run: Any) -> dict[str, Any]:
    """What the run asked, as it ran: the scenario's load with the command line's (or the form's)
    users, spawn rate and run time where the closed model takes them; an open model's rate,
    stages, max_users and max_wait (Locust's own user count there is one scheduler a process)."""
    options, load = run.options, run.plan.scenario.load
    found = load.describe()
    run_time = _seconds(getattr(options, "run_time", None))
    if found["model"] == "closed" and "users" in found:
        found["users"] = getattr(options, "num_users", None) or found["users"]
        found["spawn_rate"] = getattr(options, "spawn_rate", None) or found["spawn_rate"]
    if run_time is not None and not load.stages:
        found["run_time_s"] = run_time
    extra = {
        "measure_from_s": _seconds(getattr(options, "measure_from", None)),
        "processes": getattr(options, "processes", None),
        "baseline": getattr(options, "baseline", "") or None,
    }
    return {**found, **{key: value for key, value in extra.items() if value is not None}}


def write_run_reports(run: Any) -> None:
    """A test's reports: summary.*, junit.xml, authload.html, report.html; the console table."""
    plan, hurry = run.plan, run.stopping.hurry.is_set()
    csv_prefix = getattr(run.options, "csv_prefix", None)
    if csv_prefix and not run.fatal and not hurry:
        # Locust's CSV writer runs every CSV_STATS_INTERVAL_SEC; let it write the final
        # figures once more, so its CSV and our summary count the same requests.
        gevent.sleep(_compat.csv_interval() + 0.1)
    summary = build_summary(run.facts())
    # A run measured after a settle (a capacity probe) writes no Locust view: they count the settle.
    locust_views = not _seconds(getattr(run.options, "measure_from", None))
    if locust_views:
        summary.files["html"] = "report.html"
    if csv_prefix and Path(csv_prefix).parent.resolve() == plan.report_dir.resolve():
        summary.files["locust_csv"] = f"{Path(csv_prefix).name}_stats.csv"
    path = write_reports(summary, plan.report_dir, plan.secrets, **report_inputs(run, summary))
    run.environment.process_exit_code = summary.exit_code
    # Locust writes its HTML only when its main loop ends normally; on SIGTERM (how `authload run`
    # passes on Ctrl-C) it would be lost. With --html, Locust rewrites its own file at exit.
    redact = Redactor(plan.secrets)
    if locust_views:
        html = redact(_compat.html_report(run.environment))
        (plan.report_dir / "report.html").write_text(html, encoding="utf-8")
    print("\n" + redact(console_table(summary)), flush=True)
    print(f"authload: reports in {path.parent}", flush=True)


def start_recording(run: Any) -> None:
    """In `init`: close time-series intervals on the clock (every process)."""
    gevent.spawn(run.recorder.tick_forever, gevent.sleep)


def show_run_progress(run: Any) -> None:
    """At a start: show the run's progress where Locust shows none (headless with
    --only-summary, as `authload run` starts it). Workers stay quiet."""
    options = run.options
    if run.role == "worker" or not options.headless or not getattr(options, "only_summary", False):
        return
    gevent.spawn(_run_progress, run, _seconds(getattr(options, "run_time", None)))


def _run_progress(run: Any, run_time: float | None) -> None:
    describe = run_line(run.recorder, run.started_at or time.time(), run_time)
    with run.progress.phase("run", describe=describe):
        while not run.stopped_at:
            gevent.sleep(0.2)


def _seconds(run_time: Any) -> float | None:
    try:
        return float(run_time) if run_time else None
    except (TypeError, ValueError):
        return None
