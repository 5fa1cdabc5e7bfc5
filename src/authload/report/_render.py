"""Renderings of a summary: the console table, JUnit XML, Markdown."""

from __future__ import annotations

import re
from collections import Counter
from xml.etree import ElementTree as ET

from ._correctness import HEAD as CORRECTNESS_HEAD
from ._correctness import NONE as NO_CORRECTNESS_ROWS
from ._correctness import correctness_rows
from ._figures import Figures
from ._health import health_lines, health_markdown, health_properties
from ._http_table import LEGEND, console_lines, markdown_lines, text_table
from ._summary import RunSummary
from ._verdict import Verdict, format_value

# Characters XML 1.0 cannot hold at all, not even escaped (ElementTree writes them raw).
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_COLUMNS = ("Type", "Name", "Count", "Fails", "Err%", "p50", "p90", "p95", "p99", "Max", "Per s", "Conns")
_MD_COLUMNS = (*_COLUMNS[:5], "p50 ms", "p90 ms", "p95 ms", "p99 ms", "Max ms", "Per s", "Conns")


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
        str(f.connections_opened) if kind != "cycle" else "-",  # connections opened: steps only
    ]


def _rows(summary: RunSummary) -> list[list[str]]:
    rows = [_row("step", name, figures) for name, figures in summary.steps.items()]
    rows += [_row("cycle", name, figures) for name, figures in summary.cycles.items()]
    rows.append(_row("total", "steps on the wire", summary.total))
    return rows


def console_table(summary: RunSummary) -> str:
    """The end-of-run table (latencies in ms), thresholds and verdict."""
    lines = text_table(_rows(summary), _COLUMNS)
    lines.append(LEGEND)
    lines += console_lines(summary.http)
    lines += ["", *health_lines(summary)]
    lines.append("")
    lines += [f"  {verdict.describe()}" for verdict in summary.verdicts] or ["  (no thresholds)"]
    errors: Counter[str] = Counter()
    for figures in summary.steps.values():
        errors.update(figures.errors_by_code)
    if errors:
        lines.append("errors by code: " + ", ".join(f"{code} x{n}" for code, n in sorted(errors.items())))
    if summary.error:
        lines.append(f"run error: {summary.error}")
    lines.append(f"verdict: {verdict_word(summary)} (exit code {summary.exit_code}); run {summary.run_id}")
    return "\n".join(lines)


def verdict_word(summary: RunSummary) -> str:
    """PASS, FAIL, or the status of a run that did not complete (INTERRUPTED, ERROR, ...)."""
    if summary.status != "completed":
        return summary.status.upper()
    return "PASS" if summary.passed else "FAIL"


def headline(summary: RunSummary) -> str:
    """The verdict and why, in one line: `FAIL: 1 of 3 thresholds failed (login_auth_token.p95)`."""
    word = verdict_word(summary)
    if summary.status != "completed":
        return f"{word}: {summary.error or 'the run did not complete'}"
    failed = [v.threshold.key for v in summary.verdicts if not v.passed]
    skipped = sum(1 for v in summary.verdicts if v.skipped)
    held = len(summary.verdicts) - len(failed) - skipped
    more = f", {skipped} skipped" if skipped else ""
    if failed:
        return (
            f"{word}: {len(failed)} of {len(summary.verdicts)} thresholds failed ({', '.join(failed)}){more}"
        )
    return f"{word}: {held} threshold{'s' if held != 1 else ''} held{more}" if summary.verdicts else f"{word}"


def measured_text(verdict: Verdict) -> str:
    if verdict.measured is None:
        return "no data"
    return format_value(verdict.threshold.metric, verdict.measured)


def limit_text(verdict: Verdict) -> str:
    limit = verdict.effective_limit
    if limit is None:
        return "-"
    return f"{verdict.threshold.op} {format_value(verdict.threshold.metric, limit)}"


def _result(verdict: Verdict) -> str:
    return f"SKIP ({verdict.skipped})" if verdict.skipped else ("PASS" if verdict.passed else "FAIL")


def markdown(summary: RunSummary) -> str:
    """For a CI job summary or a pull request: the verdict first, then thresholds, figures, errors."""
    lines = [
        f"## {headline(summary)}",
        "",
        f"authload run `{summary.run_id}`: scenario **{summary.scenario}** (`{summary.scenario_file}`) "
        f"on **{summary.environment}** ({summary.backend}), started {summary.started_at}, "
        f"{summary.duration_s:.1f} s.",
        "",
        "### Thresholds",
        "",
    ]
    if summary.verdicts:
        lines += ["| threshold | rule | measured | limit | result |", "|---|---|---|---|---|"]
        lines += [
            f"| {v.threshold.key} | `{v.threshold.text}` | {measured_text(v)} | {limit_text(v)} "
            f"| {_result(v)} |"
            for v in summary.verdicts
        ]
    else:
        lines.append("No thresholds.")
    lines += [
        "",
        "### Figures",
        "",
        (
            "Latencies in milliseconds (ms); Per s is per second; Conns counts the "
            "connections opened (reconnects included). " + LEGEND
        ),
        "",
    ]
    lines += [
        "| " + " | ".join(_MD_COLUMNS) + " |",
        "|" + "---|" * len(_MD_COLUMNS),
        *("| " + " | ".join(row) + " |" for row in _rows(summary)),
    ]
    lines += markdown_lines(summary.http)
    lines += health_markdown(summary)
    lines += ["", "### Errors by step and code", ""]
    errors = [
        f"| {name} | {code} | {count} |"
        for name, figures in summary.steps.items()
        for code, count in sorted(figures.errors_by_code.items())
    ]
    lines += ["| step | code | count |", "|---|---|---|", *errors] if errors else ["No errors."]
    lines += ["", "### Skipped steps and correctness", ""]
    counted = [" | ".join(row) for row in correctness_rows(summary)]
    table = ["| " + " | ".join(CORRECTNESS_HEAD) + " |", "|---|---|---|---|"]
    lines += [*table, *(f"| {row} |" for row in counted)] if counted else [NO_CORRECTNESS_ROWS]
    if summary.error:
        lines += ["", f"Run error: {summary.error}"]
    return "\n".join(lines) + "\n"


def _xml_text(text: str) -> str:
    """`text` with what XML 1.0 cannot hold shown as `\\xNN` (a name or error could hold it)."""
    return _NOT_XML.sub(lambda match: repr(match.group())[1:-1], text)


def junit_xml(summary: RunSummary) -> str:
    """One test case per threshold, each with what was measured and the limit (`p95 412ms > 250ms`);
    a run that did not complete is an error case."""
    scenario = _xml_text(summary.scenario)
    suite = ET.Element("testsuite", name=f"authload.{scenario}", timestamp=_xml_text(summary.started_at))
    properties = ET.SubElement(suite, "properties")
    for name, value in health_properties(summary).items():
        ET.SubElement(properties, "property", name=name, value=_xml_text(value))
    counts = Counter[str]()
    for verdict in summary.verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"authload.{scenario}", name=verdict.threshold.key)
        _junit_case(case, verdict, counts)
    if summary.status != "completed":
        counts["errors"] += 1
        case = ET.SubElement(suite, "testcase", classname=f"authload.{scenario}", name="run")
        reason = _xml_text(summary.error or summary.status)
        ET.SubElement(case, "error", message=reason).text = reason
    suite.set("tests", str(len(summary.verdicts) + counts["errors"]))
    suite.set("failures", str(counts["failures"]))
    suite.set("errors", str(counts["errors"]))
    suite.set("skipped", str(counts["skipped"]))
    suite.set("time", f"{summary.duration_s:.3f}")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _junit_case(case: ET.Element, verdict: Verdict, counts: Counter[str]) -> None:
    properties = ET.SubElement(case, "properties")
    limit = verdict.effective_limit
    values = {
        "rule": verdict.threshold.text,
        "measured": "" if verdict.measured is None else f"{verdict.measured:.6g}",
        "limit": "" if limit is None else f"{limit:.6g}",
        "unit": verdict.unit,
        "note": verdict.threshold.note,  # the default guard: say why this rule is there
    }
    for name, value in values.items():
        if value:
            ET.SubElement(properties, "property", name=name, value=value)
    statement = verdict.comparison()
    if verdict.skipped:
        counts["skipped"] += 1
        ET.SubElement(case, "skipped", message=verdict.skipped)
    elif not verdict.passed:
        counts["failures"] += 1
        message = f"{statement} (rule: {verdict.threshold.text})"
        ET.SubElement(case, "failure", message=message).text = verdict.describe()
    ET.SubElement(case, "system-out").text = statement
