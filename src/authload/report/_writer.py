"""Write a run's report folder; nothing secret leaves through it.

`summary.md` is also appended to `$GITHUB_STEP_SUMMARY` when that is set, so
the verdict shows on the GitHub Actions job page.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..common._redact import Redactor
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
