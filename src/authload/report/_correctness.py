"""Skipped steps and correctness failures, per step: the rows summary.md and the HTML report show.

Both are counted apart from requests and errors (a skipped step sent nothing; a correctness
failure was answered without error, but wrongly), so the figures tables do not show them.
"""

from __future__ import annotations

from ._figures import Figures
from ._summary import RunSummary

HEAD = ["step", "skipped", "correctness failures", "by expectation"]


def _cells(name: str, figures: Figures) -> list[str]:
    by_code = ", ".join(f"{code} x{n}" for code, n in sorted(figures.correctness_by_code.items()))
    return [name, str(figures.skipped), str(figures.correctness_failures), by_code or "-"]


def correctness_rows(summary: RunSummary) -> list[list[str]]:
    """Plain-text rows (steps with either count, then `total`); none when both are zero throughout."""
    rows = [
        _cells(name, figures)
        for name, figures in summary.steps.items()
        if figures.skipped or figures.correctness_failures
    ]
    return [*rows, _cells("total", summary.total)] if rows else []


NONE = "No skipped steps; no correctness failures."
