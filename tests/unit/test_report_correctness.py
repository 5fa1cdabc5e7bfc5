"""Skipped steps and correctness failures reach every report: summary.json's schema, summary.md,
the HTML report."""

from __future__ import annotations

from dataclasses import replace

from authload.commands._schema import summary_schema
from authload.report import RunSummary, markdown
from authload.report._html import html_report

from .report_fixtures import STARTED_AT, figures, series, summary

WRONG = {"EXPECTED_AUTH_ERR_AUTH_TOKEN_NOT_FOUND": 2}


def _run() -> RunSummary:
    run = summary({})
    steps = dict(run.steps)
    steps["login_auth_token"] = replace(figures(), correctness_failures=2, correctness_by_code=WRONG)
    steps["logout"] = replace(figures(), skipped=7)
    total = replace(run.total, skipped=7, correctness_failures=2, correctness_by_code=WRONG)
    return replace(run, steps=steps, total=total)


def test_the_summary_schema_documents_every_figure() -> None:
    documented = set(summary_schema()["$defs"]["figures"]["properties"])
    assert set(figures().to_json()) <= documented


def test_markdown_and_html_show_skipped_and_correctness_per_step() -> None:
    run = _run()
    text = markdown(run)
    assert "| login_auth_token | 0 | 2 | EXPECTED_AUTH_ERR_AUTH_TOKEN_NOT_FOUND x2 |" in text
    assert "| logout | 7 | 0 | - |" in text and "| total | 7 | 2 |" in text
    assert "session_check | 0 | 0" not in text  # steps with neither are left out
    page = html_report(run, {}, series(), STARTED_AT)
    assert (
        "<td>login_auth_token</td><td>0</td><td>2</td><td>EXPECTED_AUTH_ERR_AUTH_TOKEN_NOT_FOUND x2</td>"
        in page
    )
    assert "<td>logout</td><td>7</td><td>0</td><td>-</td>" in page


def test_a_run_with_neither_says_so() -> None:
    run = summary({})
    assert "No skipped steps; no correctness failures." in markdown(run)
    assert "No skipped steps; no correctness failures." in html_report(run, {}, series(), STARTED_AT)
