"""Write a run's report folder; nothing secret leaves through it. The one writer of summary.json.

Four paths write summary.json, all here: a run's reports (`write_reports`), the cleanup's
outcome added in place afterwards (`update_cleanup`), the summary `authload run` writes
when Locust ended without one (`write_fallback_summary`), and a capacity search's
(`write_capacity_reports`). `summary.md` is also appended to
`$GITHUB_STEP_SUMMARY` when that is set, so the verdict shows on the GitHub Actions job page.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..common._redact import Redactor
from ._capacity import capacity_html, capacity_junit, capacity_markdown
from ._html import SeriesMap, html_report
from ._render import junit_xml, markdown
from ._summary import RunSummary

SCHEMA_VERSION = 1  # of summary.json; its JSON Schema is summary.schema.json in this package
STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


def summary_json(summary: RunSummary, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """summary.json's content: the versioned summary plus what ran (`run`)."""
    return {"schema_version": SCHEMA_VERSION, **summary.to_json(), "run": dict(meta or {})}


def write_reports(
    summary: RunSummary,
    directory: Path,
    secrets: Iterable[str] = (),
    *,
    meta: Mapping[str, Any] | None = None,
    series: SeriesMap | None = None,
    started_at: float = 0.0,
) -> Path:
    """Write summary.json, junit.xml, summary.md and authload.html into `directory`; return
    summary.json's path. `series` (per step and cycle) and `started_at` feed the HTML charts."""
    directory.mkdir(parents=True, exist_ok=True)
    redact = Redactor(secrets)
    summary.files.update(
        {"summary": "summary.json", "junit": "junit.xml", "markdown": "summary.md", "report": "authload.html"}
    )
    text = markdown(summary)
    outputs = {
        "summary.json": json.dumps(summary_json(summary, meta), indent=2) + "\n",
        "junit.xml": junit_xml(summary),
        "summary.md": text,
        "authload.html": html_report(summary, meta or {}, series or {}, started_at),
    }
    for name, content in outputs.items():
        (directory / name).write_text(redact(content), encoding="utf-8")
    append_step_summary(redact(text))
    return directory / "summary.json"


def write_capacity_reports(summary: dict[str, Any], directory: Path, secrets: Iterable[str] = ()) -> Path:
    """A capacity search's summary.json (its `capacity` section; the figures are the probe's at
    the rate found), junit.xml, summary.md and authload.html; returns summary.json's path."""
    directory.mkdir(parents=True, exist_ok=True)
    redact = Redactor(secrets)
    summary = {"schema_version": SCHEMA_VERSION, **summary}
    summary["files"] = {
        **summary.get("files", {}),
        "summary": "summary.json",
        "junit": "junit.xml",
        "markdown": "summary.md",
        "report": "authload.html",
    }
    text = capacity_markdown(summary)
    for name, content in (
        ("junit.xml", capacity_junit(summary)),
        ("summary.md", text),
        ("authload.html", capacity_html(summary)),
    ):
        (directory / name).write_text(redact(content), encoding="utf-8")
    _replace(directory / "summary.json", summary, secrets)
    append_step_summary(redact(text))
    return directory / "summary.json"


def read_summary_file(path: Path) -> dict[str, Any]:
    """A summary.json as written (an object; anything else reads as empty)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _replace(path: Path, summary: Mapping[str, Any], secrets: Iterable[str]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(Redactor(secrets)(json.dumps(summary, indent=2) + "\n"), encoding="utf-8")
    temporary.replace(path)  # a reader never sees half a file


def update_cleanup(
    path: Path, cleanup: Mapping[str, Any], secrets: Iterable[str], requests: int | None
) -> None:
    """Write the cleanup's outcome into a written summary.json, in place (the rest unchanged);
    `requests`: what the cleanup sent, into `http.cleanup`."""
    summary = read_summary_file(path)
    summary["cleanup"] = dict(cleanup)
    if requests is not None and isinstance(summary.get("http"), dict):
        summary["http"]["cleanup"] = {"requests": requests}
    _replace(path, summary, secrets)


def write_fallback_summary(
    path: Path,
    *,
    run_id: str,
    scenario_file: str,
    environment: str,
    status: str,
    error: str,
    exit_code: int,
    cleanup: Mapping[str, Any],
) -> dict[str, Any]:
    """A summary for a run that ended without one (Locust killed, crashed): it says so, with no
    figures, and what the ledgers say may still be on the backend."""
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "scenario": {"file": scenario_file},
        "environment": {"name": environment},
        "ended_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "status": status,
        "error": error,
        "verdict": "fail",
        "exit_code": exit_code,
        "files": {"summary": "summary.json"},
        "cleanup": dict(cleanup),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace(path, summary, ())
    return summary


def append_step_summary(text: str) -> None:
    """Add to the CI job's summary page (GitHub Actions) when the runner asks for one."""
    target = os.environ.get(STEP_SUMMARY)
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as error:  # the report folder has it all; the job page is a convenience
        print(f"authload: cannot append to ${STEP_SUMMARY} ({error.strerror})", file=sys.stderr)
