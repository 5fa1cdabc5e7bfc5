"""Write a run's report folder; nothing secret leaves through it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from .._redact import Redactor
from ._render import junit_xml, markdown
from ._summary import RunSummary


def write_reports(summary: RunSummary, directory: Path, secrets: Iterable[str] = ()) -> Path:
    """Write summary.json, junit.xml and summary.md into `directory`; return summary.json's path."""
    directory.mkdir(parents=True, exist_ok=True)
    redact = Redactor(secrets)
    summary.files.update({"summary": "summary.json", "junit": "junit.xml", "markdown": "summary.md"})
    outputs = {
        "summary.json": json.dumps(summary.to_json(), indent=2) + "\n",
        "junit.xml": junit_xml(summary),
        "summary.md": markdown(summary),
    }
    for name, text in outputs.items():
        (directory / name).write_text(redact(text), encoding="utf-8")
    return directory / "summary.json"
