"""Renderings of a summary: the console table, JUnit XML, Markdown."""

from __future__ import annotations

import re
from collections import Counter
from xml.etree import ElementTree as ET

from ._figures import Figures
from ._summary import RunSummary

# Characters XML 1.0 cannot hold at all, not even escaped (ElementTree writes them raw).
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_COLUMNS = ("Type", "Name", "Reqs", "Fails", "Err%", "p50", "p90", "p95", "p99", "Max", "Req/s")


def _row(kind: str, name: str, f: Figures) -> list[str]:
    latencies = [f"{value:.1f}" for value in (f.p50, f.p90, f.p95, f.p99, f.max)]
    return [
        kind,
        name,
        str(f.requests),
        str(f.failures),
        f"{f.error_rate * 100:.2f}",
        *latencies,
        f"{f.rps:.1f}",
    ]


def _rows(summary: RunSummary) -> list[list[str]]:
    rows = [_row("step", name, figures) for name, figures in summary.steps.items()]
    rows += [_row("cycle", name, figures) for name, figures in summary.cycles.items()]
    rows.append(_row("total", "steps on the wire", summary.total))
    return rows


def console_table(summary: RunSummary) -> str:
    """The end-of-run table (latencies in ms), thresholds and verdict."""
    rows = [list(_COLUMNS), *_rows(summary)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    lines += [f"  {verdict.describe()}" for verdict in summary.verdicts] or ["  (no thresholds)"]
    errors: Counter[str] = Counter()
    for figures in summary.steps.values():
        errors.update(figures.errors_by_code)
    if errors:
        lines.append("errors by code: " + ", ".join(f"{code} x{n}" for code, n in sorted(errors.items())))
    if summary.error:
        lines.append(f"run error: {summary.error}")
    verdict = (
        "PASS" if summary.passed else ("FAIL" if summary.status == "completed" else summary.status.upper())
    )
    lines.append(f"verdict: {verdict} (exit code {summary.exit_code}); run {summary.run_id}")
    return "\n".join(lines)


def markdown(summary: RunSummary) -> str:
    """The same table for a CI job summary or a pull request."""
    head = "| " + " | ".join(_COLUMNS) + " |\n|" + "---|" * len(_COLUMNS) + "\n"
    body = "".join("| " + " | ".join(row) + " |\n" for row in _rows(summary))
    checks = "".join(f"- {verdict.describe()}\n" for verdict in summary.verdicts)
    title = f"# authload run {summary.run_id}: {summary.scenario} on {summary.environment}\n\n"
    return title + head + body + "\n" + (checks or "- no thresholds\n")


def _xml_text(text: str) -> str:
    """`text` with what XML 1.0 cannot hold shown as `\\xNN` (a name or error could hold it)."""
    return _NOT_XML.sub(lambda match: repr(match.group())[1:-1], text)


def junit_xml(summary: RunSummary) -> str:
    """One test case per threshold; a run that did not complete is an error case."""
    scenario = _xml_text(summary.scenario)
    suite = ET.Element("testsuite", name=f"authload.{scenario}", timestamp=_xml_text(summary.started_at))
    failures = errors = 0
    for verdict in summary.verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"authload.{scenario}", name=verdict.threshold.key)
        if verdict.threshold.note:  # the default guard: say why this rule is there
            properties = ET.SubElement(case, "properties")
            ET.SubElement(properties, "property", name="note", value=verdict.threshold.note)
        if not verdict.passed:
            failures += 1
            ET.SubElement(case, "failure", message=verdict.describe()).text = verdict.describe()
    if summary.status != "completed":
        errors += 1
        case = ET.SubElement(suite, "testcase", classname=f"authload.{scenario}", name="run")
        reason = _xml_text(summary.error or summary.status)
        ET.SubElement(case, "error", message=reason).text = reason
    suite.set("tests", str(len(summary.verdicts) + errors))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", f"{summary.duration_s:.3f}")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
