"""`authload.html`: one self-contained page per run (inline CSS and SVG, no script, no link out).

What a reader needs, top to bottom: the verdict, every threshold with its
measured value, what ran (metadata), errors by step and code, then for each
step and each flow's cycle its percentiles, rates and errors over time and its
latency distribution, drawn from the run's own time series (`_timeseries`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from html import escape
from typing import Any

from ._charts import bar_chart, line_chart
from ._correctness import HEAD as CORRECTNESS_HEAD
from ._correctness import NONE as NO_CORRECTNESS_ROWS
from ._correctness import correctness_rows
from ._health import stall_text
from ._http_table import HEAD as HTTP_HEAD
from ._http_table import LEGEND, http_rows, outside_load
from ._render import headline, limit_text, measured_text, verdict_word
from ._summary import RunSummary
from ._timeseries import Point, Timeline, distribution

SeriesMap = Mapping[tuple[str, str], Timeline]  # (kind "step" | "cycle", name) → timeline

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#111}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:20px 0 4px}table{border-collapse:collapse;margin:6px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;color:#fff;font-weight:600}
.pass{background:#15803d}.fail{background:#b91c1c}.other{background:#a16207}.skip{background:#6b7280}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:8px}
.chart text{font-size:11px;fill:#444}.chart .ct{font-size:12px;font-weight:600;fill:#111}
.chart .yl{text-anchor:end}.chart .xl{text-anchor:middle}.chart .grid{stroke:#eee}.muted{color:#666}
.chart .stall{fill:#fca5a5;opacity:.35}.chart .mark{stroke:#111;stroke-dasharray:4 3}
.chart .mk{text-anchor:end}
"""


def html_report(summary: RunSummary, meta: Mapping[str, Any], series: SeriesMap, started_at: float) -> str:
    """The whole page as text; `started_at` (epoch seconds) places the series on the run's clock."""
    word = headline(summary)
    css_class = {"PASS": "pass", "FAIL": "fail"}.get(verdict_word(summary), "other")
    body = [
        f"<h1>authload: {escape(summary.scenario)} on {escape(summary.environment)}</h1>",
        f'<p><span class="verdict {css_class}" id="verdict">{escape(word)}</span> '
        f'<span class="muted">exit code {summary.exit_code}; run {escape(summary.run_id)}</span></p>',
    ]
    if summary.error:
        body.append(f"<p><b>run error:</b> {escape(summary.error)}</p>")
    body += _thresholds(summary), _meta(summary, meta), _errors(summary), _correctness(summary)
    body.append(_figures_table(summary))
    body.append(_http_table(summary))
    body.append(_health(summary))
    body.append("<h2>Steps</h2>")
    spans = [(stall["from_s"], stall["to_s"]) for stall in summary.stalls]
    body += [_entry("step", name, series, started_at, summary.duration_s, spans) for name in summary.steps]
    body.append("<h2>Flows (whole cycles)</h2>")
    body += [_entry("cycle", name, series, started_at, summary.duration_s, spans) for name in summary.cycles]
    title = f"authload {summary.run_id}: {word}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{escape(cell)}</th>" for cell in head)
    lines = ["<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows]
    return f"<table>{f'<tr>{cells}</tr>' if head else ''}{''.join(lines)}</table>"


def _thresholds(summary: RunSummary) -> str:
    rows = []
    for verdict in summary.verdicts:
        result = "SKIP" if verdict.skipped else ("PASS" if verdict.passed else "FAIL")
        css = {"PASS": "pass", "FAIL": "fail", "SKIP": "skip"}[result]
        rows.append(
            [
                escape(verdict.threshold.key),
                escape(verdict.threshold.text),
                escape(measured_text(verdict)),
                escape(limit_text(verdict)),
                f'<span class="verdict {css}">{result}</span>',
            ]
        )
    table = _table(["threshold", "rule", "measured", "limit", "result"], rows) if rows else "<p>none</p>"
    return "<h2>Thresholds</h2>" + table


def _meta(summary: RunSummary, meta: Mapping[str, Any]) -> str:
    load = meta.get("load") or {}
    rows = [
        ("scenario", f"{summary.scenario} ({summary.scenario_file})"),
        ("environment", f"{summary.environment} ({summary.backend})"),
        ("load", ", ".join(f"{key} {value}" for key, value in load.items()) or "-"),
        ("started", summary.started_at),
        ("duration", f"{summary.duration_s:.1f} s"),
        ("status", summary.status),
        ("authload", str(meta.get("authload_version") or "-")),
        ("Locust", str(meta.get("locust_version") or "-")),
        ("git commit", str(meta.get("git_commit") or "not available")),
    ]
    cells = [[escape(k), escape(v)] for k, v in rows]
    if meta.get("tls_verify") is False:  # said loudly: keys went to hosts whose certificates no one checked
        cells.append(
            ["TLS", '<span class="verdict fail">certificates NOT verified (tls: {verify: false})</span>']
        )
    elif "tls_verify" in meta:
        cells.append(["TLS", "certificates verified"])
    return "<h2>Run</h2>" + _table([], cells)


def _errors(summary: RunSummary) -> str:
    rows = [
        [escape(name), escape(code), str(count)]
        for name, figures in summary.steps.items()
        for code, count in sorted(figures.errors_by_code.items())
    ]
    return "<h2>Errors by step and code</h2>" + (
        _table(["step", "code", "count"], rows) if rows else "<p>no errors</p>"
    )


def _correctness(summary: RunSummary) -> str:
    rows = [[escape(cell) for cell in row] for row in correctness_rows(summary)]
    title = "<h2>Skipped steps and correctness</h2>"
    return title + (_table(CORRECTNESS_HEAD, rows) if rows else f"<p>{NO_CORRECTNESS_ROWS}</p>")


def _health(summary: RunSummary) -> str:
    """Goodput per flow, throttling, and the stalls (also shaded on every chart)."""
    rows = [[escape(name), f"{figures.goodput:.1f}"] for name, figures in summary.cycles.items()]
    rows.append(["<b>total</b>", f"<b>{summary.total.goodput:.1f}</b>"])
    total = summary.total
    throttled = f"throttled (HTTP 429): {total.throttled} ({total.throttle_rate * 100:.2f}%)"
    throttled += f", retried: {total.retried}"
    stalls = f"stalls: {stall_text(summary.stalls)}"
    css = ' class="verdict fail"' if summary.stalls else ""
    return (
        "<h2>Goodput, throttling and stalls</h2>"
        + _table(["flow", "goodput (good cycles/s)"], rows)
        + f"<p>{escape(throttled)}</p><p><span{css} id=stalls>{escape(stalls)}</span></p>"
    )


def _http_table(summary: RunSummary) -> str:
    rows = [[escape(cell) for cell in row] for row in http_rows(summary.http)]
    if not rows:
        return ""
    note = f"<p class=muted>{escape(outside_load(summary.http))}.</p>"
    return "<h2>HTTP requests (as the backend counts them)</h2>" + _table(list(HTTP_HEAD), rows) + note


def _figures_table(summary: RunSummary) -> str:
    head = ["entry", "count", "failures", "error %", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms"]
    entries = [("step", n, f) for n, f in summary.steps.items()]
    entries += [("cycle", n, f) for n, f in summary.cycles.items()]
    entries.append(("total", "steps on the wire", summary.total))
    rows = [
        [
            f"{escape(name)} <span class=muted>({kind})</span>",
            str(f.requests),
            str(f.failures),
            f"{f.error_rate * 100:.2f}",
            *(f"{value:.1f}" for value in (f.p50, f.p90, f.p95, f.p99, f.max)),
        ]
        for kind, name, f in entries
    ]
    legend = f"<p class=muted>{escape(LEGEND)}</p>"
    return "<h2>Figures (latencies in ms, rates per second)</h2>" + _table(head, rows) + legend


def _entry(
    kind: str,
    name: str,
    series: SeriesMap,
    started_at: float,
    duration_s: float,
    stalls: list[tuple[float, float]],
) -> str:
    anchor = f"{kind}-{name}"
    header = f'<section class="entry" id="{escape(anchor)}" data-entry="{escape(anchor)}">'
    header += f"<h3>{escape(name)} <span class=muted>({kind})</span></h3>"
    timeline = series.get((kind, name))
    if timeline is None or not timeline.slots:
        return header + "<p class=muted>no time series recorded for this entry</p></section>"
    points = timeline.points(started_at, started_at + duration_s if duration_s > 0 else None)
    x_max = max(duration_s, max(p.at_s + p.width_s for p in points))
    charts = [
        line_chart(f"{name}: latency", _percentile_lines(points), x_max, "ms", shaded=stalls),
        line_chart(f"{name}: throughput", _rate_lines(points), x_max, "/s", shaded=stalls),
        _error_chart(name, points, x_max),
        bar_chart(f"{name}: latency distribution (requests per bucket)", distribution(timeline.whole())),
    ]
    note = f'<p class="muted">interval {timeline.width_s:g} s, {len(points)} intervals</p>'
    return header + note + '<div class="charts">' + "".join(charts) + "</div></section>"


def _middle(point: Point) -> float:
    return point.at_s + point.width_s / 2


def _percentile_lines(points: list[Point]) -> list[tuple[str, list[tuple[float, float]]]]:
    return [
        (label, [(_middle(p), getattr(p, label)) for p in points if p.requests])
        for label in ("p50", "p95", "p99")
    ]


def _rate_lines(points: list[Point]) -> list[tuple[str, list[tuple[float, float]]]]:
    return [
        ("requests/s", [(_middle(p), p.requests / p.width_s) for p in points]),
        ("errors/s", [(_middle(p), p.failures / p.width_s) for p in points]),
    ]


def _error_chart(name: str, points: list[Point], x_max: float) -> str:
    codes: Counter[str] = Counter()
    for point in points:
        codes.update(point.codes)
    lines = [
        (f"{code}", [(_middle(p), p.codes.get(code, 0) / p.width_s) for p in points])
        for code, _ in codes.most_common(3)
    ]
    title = f"{name}: errors/s by code" + ("" if lines else ": none")
    return line_chart(title, lines, x_max, "/s")
