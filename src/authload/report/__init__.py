"""Reports: figures per step and cycle, threshold verdicts, and the files of a run.

Reads plain figures (no Locust here) and writes `summary.json`, `junit.xml`
and `summary.md`; Locust writes its own HTML and CSV into the same folder.
"""

from ._figures import EMPTY, PERCENTILES, Figures
from ._render import console_table, junit_xml, markdown
from ._summary import COMPLETED, ERROR, INTERRUPTED, RunSummary
from ._verdict import Verdict, evaluate
from ._writer import write_reports

__all__ = [
    "COMPLETED",
    "EMPTY",
    "ERROR",
    "INTERRUPTED",
    "PERCENTILES",
    "Figures",
    "RunSummary",
    "Verdict",
    "console_table",
    "evaluate",
    "junit_xml",
    "markdown",
    "write_reports",
]
