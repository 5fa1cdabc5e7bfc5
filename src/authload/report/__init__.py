"""Reports: figures per step and cycle, threshold verdicts, and the files of a run.

Reads plain figures (no Locust here) and writes `summary.json` (versioned, its
JSON Schema ships as `summary.schema.json`), `junit.xml`, `summary.md` and
`authload.html` (charts from the run's time series); Locust writes its own
HTML and CSV into the same folder. `compare` sets a run against a baseline.
"""

from ._compare import Tolerance, baseline_figures, compare, entries, read_summary, regressions, render
from ._figures import EMPTY, PERCENTILES, Figures
from ._html import html_report
from ._meta import run_meta
from ._render import console_table, headline, junit_xml, markdown
from ._summary import COMPLETED, ERROR, INTERRUPTED, RunSummary
from ._timeseries import BASE_S, Slot, Timeline, bucket
from ._verdict import Verdict, evaluate
from ._writer import SCHEMA_VERSION, append_step_summary, summary_json, write_reports

__all__ = [
    "BASE_S",
    "COMPLETED",
    "EMPTY",
    "ERROR",
    "INTERRUPTED",
    "PERCENTILES",
    "SCHEMA_VERSION",
    "Figures",
    "RunSummary",
    "Slot",
    "Timeline",
    "Tolerance",
    "Verdict",
    "append_step_summary",
    "baseline_figures",
    "bucket",
    "compare",
    "console_table",
    "entries",
    "evaluate",
    "headline",
    "html_report",
    "junit_xml",
    "markdown",
    "read_summary",
    "regressions",
    "render",
    "run_meta",
    "summary_json",
    "write_reports",
]
