"""A capacity search's reports, from its summary.json content: summary.md (the result and every
probe), junit.xml (a case per SLO at the rate found, and per `capacity.max_rate` rule) and
authload.html (the search drawn: rate against latency, error and throttle rates, goodput, the
knee marked)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape
from typing import Any

from ._charts import line_chart
from ._html import _CSS, _table

Summary = dict[str, Any]


def _probes(summary: Summary) -> list[dict[str, Any]]:
    return sorted(summary["capacity"]["probes"], key=lambda probe: float(probe["rate"]))


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:g}/s"


def _result_rows(summary: Summary) -> list[tuple[str, str]]:
    found = summary["capacity"]
    return [
        (
            "max rate",
            _rate(found["max_rate"]) + (" (a lower bound)" if found["limited_by"] == "generator" else ""),
        ),
        ("first failing rate", _rate(found["first_failing_rate"])),
        ("limiting rule", found["limiting_rule"] or "-"),
        ("limited by", found["limited_by"]),
        ("precision", f"{found['precision'] * 100:g}%"),
        ("advice", found.get("advice") or "-"),
    ]


def _probe_row(probe: dict[str, Any]) -> list[str]:
    why = "; ".join(probe.get("generator_limits") or []) or probe.get("error") or ""
    broken = [key for key, rule in probe["rules"].items() if not rule["passed"]]
    return [
        f"{probe['rate']:g}",
        f"{probe['achieved_rate']:.1f}",
        f"{probe['p95']:.1f}",
        f"{probe['p99']:.1f}",
        f"{probe['error_rate'] * 100:.2f}%",
        f"{probe['throttle_rate'] * 100:.2f}%",
        f"{probe['goodput']:.1f}",
        str(probe["dropped"]),
        f"{probe['cpu_max'] * 100:.0f}%",
        probe["verdict"].upper(),
        ", ".join(broken) or why or "-",
    ]


PROBE_HEAD = [
    "rate /s",
    "delivered /s",
    "p95 ms",
    "p99 ms",
    "errors",
    "throttled",
    "goodput /s",
    "dropped",
    "CPU max",
    "verdict",
    "broke / why",
]


def capacity_markdown(summary: Summary) -> str:
    found = summary["capacity"]
    lines = [
        f"## {summary['headline']}",
        "",
        f"authload capacity `{summary['run_id']}`: scenario **{summary['scenario']['name']}** on "
        f"**{summary['environment']['name']}**; {found['plan'].get('description', '')}",
        "",
        "| result | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in _result_rows(summary)),
        "",
        "### Probes",
        "",
        "Each probe: a settle (not judged), then a hold judged against every rule. Latencies are "
        "service time of the steps on the wire (milliseconds).",
        "",
        "| " + " | ".join(PROBE_HEAD) + " |",
        "|" + "---|" * len(PROBE_HEAD),
        *("| " + " | ".join(_probe_row(probe)) + " |" for probe in found["probes"]),
        "",
        "### Rules at the rate found",
        "",
    ]
    verdicts = summary.get("thresholds") or []
    lines += ["| threshold | rule | measured | result |", "|---|---|---|---|"]
    lines += [
        f"| {v['threshold']} | `{v['rule']}` | {v['measured']} | {'PASS' if v['passed'] else 'FAIL'} |"
        for v in verdicts
    ]
    return "\n".join(lines) + "\n"


def capacity_junit(summary: Summary) -> str:
    """A case per rule: each SLO as it stood at the rate found, and each `capacity.max_rate` rule;
    a search that did not finish, or was limited by the generator, is an error case."""
    name = f"authload.capacity.{summary['scenario']['name']}"
    suite = ET.Element("testsuite", name=name, timestamp=str(summary.get("started_at", "")))
    properties = ET.SubElement(suite, "properties")
    found = summary["capacity"]
    for key in ("max_rate", "first_failing_rate", "limiting_rule", "limited_by"):
        ET.SubElement(properties, "property", name=key, value="" if found[key] is None else str(found[key]))
    failures = errors = 0
    verdicts = summary.get("thresholds") or []
    for verdict in verdicts:
        case = ET.SubElement(suite, "testcase", classname=name, name=verdict["threshold"])
        statement = f"{verdict['threshold']} {verdict['rule']}: measured {verdict['measured']}"
        if not verdict["passed"]:
            failures += 1
            ET.SubElement(case, "failure", message=statement).text = statement
        ET.SubElement(case, "system-out").text = statement
    if summary["exit_code"] == 3:
        errors += 1
        case = ET.SubElement(suite, "testcase", classname=name, name="capacity search")
        reason = found.get("advice") or summary.get("error") or summary["headline"]
        ET.SubElement(case, "error", message=reason).text = reason
    suite.set("tests", str(len(verdicts) + errors))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", f"{float(summary.get('duration_s', 0)):.3f}")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def capacity_html(summary: Summary) -> str:
    """The search on one page: the result, the charts against rate (the knee marked), the probes."""
    found, probes = summary["capacity"], _probes(summary)
    css = {0: "pass", 1: "fail"}.get(summary["exit_code"], "other")
    x_max = max((float(probe["rate"]) for probe in probes), default=1.0) * 1.05
    marks = [(float(found["max_rate"]), f"max {found['max_rate']:g}/s")] if found["max_rate"] else []
    if found["first_failing_rate"]:
        marks.append((float(found["first_failing_rate"]), f"fails {found['first_failing_rate']:g}/s"))

    def line(label: str, key: str, scale: float = 1.0) -> tuple[str, list[tuple[float, float]]]:
        return label, [(float(p["rate"]), float(p[key]) * scale) for p in probes if p["verdict"] != "error"]

    charts = [
        line_chart(
            "latency (ms) against arrival rate",
            [line("p95", "p95"), line("p99", "p99")],
            x_max,
            "ms",
            x_unit="/s",
            marks=marks,
            dots=True,
        ),
        line_chart(
            "error and throttle rate (%) against arrival rate",
            [line("errors", "error_rate", 100), line("throttled", "throttle_rate", 100)],
            x_max,
            "%",
            x_unit="/s",
            marks=marks,
            dots=True,
        ),
        line_chart(
            "goodput and delivered rate (/s) against arrival rate",
            [
                line("goodput", "goodput"),
                line("delivered", "achieved_rate"),
                ("asked", [(float(p["rate"]), float(p["rate"])) for p in probes]),
            ],
            x_max,
            "/s",
            x_unit="/s",
            marks=marks,
            dots=True,
        ),
    ]
    rows = [[escape(cell) for cell in _probe_row(probe)] for probe in found["probes"]]
    result = [[escape(name), escape(value)] for name, value in _result_rows(summary)]
    verdicts = [
        [
            escape(v["threshold"]),
            escape(v["rule"]),
            escape(str(v["measured"])),
            "PASS" if v["passed"] else "FAIL",
        ]
        for v in summary.get("thresholds") or []
    ]
    body = [
        f"<h1>authload capacity: {escape(summary['scenario']['name'])} on "
        f"{escape(summary['environment']['name'])}</h1>",
        f'<p><span class="verdict {css}" id="verdict">{escape(summary["headline"])}</span> '
        f'<span class="muted">exit code {summary["exit_code"]}; run {escape(summary["run_id"])}</span></p>',
        f"<p>{escape(found['plan'].get('description', ''))}</p>",
        "<h2>Result</h2>" + _table([], result),
        "<h2>The search</h2>",
        '<div class="charts">' + "".join(charts) + "</div>",
        "<h2>Probes (in the order they ran)</h2>" + _table(PROBE_HEAD, rows),
        "<h2>Rules at the rate found</h2>" + _table(["threshold", "rule", "measured", "result"], verdicts),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>authload capacity {escape(summary['run_id'])}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
