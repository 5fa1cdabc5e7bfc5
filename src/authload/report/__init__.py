"""Figures and reports: what a run saw, judged and written, and its progress while it runs.

No Locust here. `Recorder` holds exact HDR histograms per step, cycle and HTTP endpoint (and
merges workers' figures); `judge` says what a step's result counts as; `build_summary` turns
a run's facts into the summary and verdicts; the writers put `summary.json` (versioned, its
JSON Schema ships as `summary.schema.json`), `junit.xml`, `summary.md` and `authload.html`
(charts from the run's time series) in the run folder; `compare` sets a run against a
baseline; `Progress` is the live line of long phases.
"""

from ._build import INCOMPLETE, RunFacts, build_summary, http_figures, short
from ._compare import Tolerance, baseline_figures, compare, entries, read_summary, regressions, render
from ._figures import EMPTY, PERCENTILES, Figures
from ._html import html_report
from ._live import Snapshot, snapshot
from ._meta import run_meta
from ._open_model import figures_of
from ._outcomes import ERROR as OUTCOME_ERROR
from ._outcomes import Outcome, judge
from ._progress import Phase, Progress, run_line
from ._recorder import (
    ARRIVAL,
    CLEANUP,
    CORRECTNESS,
    CYCLE,
    DROPPED,
    HTTP,
    INTENDED_KINDS,
    METRICS_KEY,
    PROVISIONING,
    RETRIED,
    SKIPPED,
    STEP,
    THROTTLED_CODES,
    UNFINISHED,
    Recorder,
    Series,
    failure_code,
)
from ._render import console_table, headline, junit_xml, markdown
from ._summary import COMPLETED, ERROR, INTERRUPTED, RunSummary
from ._timeseries import BASE_S, Slot, Timeline, bucket
from ._verdict import Verdict, evaluate
from ._writer import (
    SCHEMA_VERSION,
    append_step_summary,
    read_summary_file,
    summary_json,
    update_cleanup,
    write_capacity_reports,
    write_fallback_summary,
    write_reports,
)

__all__ = [
    "ARRIVAL",
    "BASE_S",
    "CLEANUP",
    "COMPLETED",
    "CORRECTNESS",
    "CYCLE",
    "DROPPED",
    "EMPTY",
    "ERROR",
    "HTTP",
    "INCOMPLETE",
    "INTENDED_KINDS",
    "INTERRUPTED",
    "METRICS_KEY",
    "OUTCOME_ERROR",
    "PERCENTILES",
    "PROVISIONING",
    "RETRIED",
    "SCHEMA_VERSION",
    "SKIPPED",
    "STEP",
    "THROTTLED_CODES",
    "UNFINISHED",
    "Figures",
    "Outcome",
    "Phase",
    "Progress",
    "Recorder",
    "RunFacts",
    "RunSummary",
    "Series",
    "Snapshot",
    "Slot",
    "Timeline",
    "Tolerance",
    "Verdict",
    "append_step_summary",
    "baseline_figures",
    "bucket",
    "build_summary",
    "compare",
    "console_table",
    "entries",
    "evaluate",
    "failure_code",
    "figures_of",
    "headline",
    "html_report",
    "http_figures",
    "judge",
    "junit_xml",
    "markdown",
    "read_summary",
    "read_summary_file",
    "regressions",
    "render",
    "run_line",
    "run_meta",
    "short",
    "snapshot",
    "summary_json",
    "update_cleanup",
    "write_capacity_reports",
    "write_fallback_summary",
    "write_reports",
]
