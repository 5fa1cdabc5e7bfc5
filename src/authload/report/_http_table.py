"""The `http` figures as tables: HTTP requests by endpoint, as the backend counts them.

Steps and cycles are counted as wholes (a step may send no request, or two);
this table counts requests, the unit of Locust's own table and of a backend's
metrics, and says what provisioning and cleanup sent apart from the load.
"""

from __future__ import annotations

from typing import Any

HEAD = ("Endpoint", "Host", "Reqs", "Fails", "p50", "p95", "p99", "Max", "Req/s")
LEGEND = (
    "Count: runs of a step (a step sends 0, 1 or more HTTP requests) or cycles of a flow; "
    "total: the steps that went on the wire. HTTP requests, as the backend counts them, below."
)


def http_rows(http: dict[str, Any] | None) -> list[list[str]]:
    """One row per endpoint of the load, then the load's total."""
    if not http:
        return []
    load = http.get("load", {})
    rows = []
    for endpoint, entry in load.get("by_endpoint", {}).items():
        latencies = [f"{entry[key]:.1f}" for key in ("p50", "p95", "p99", "max")]
        rows.append(
            [
                endpoint,
                entry["host"],
                str(entry["requests"]),
                str(entry["failures"]),
                *latencies,
                f"{entry['rps']:.1f}",
            ]
        )
    rows.append(
        ["HTTP requests (load)", "", str(load.get("requests", 0)), str(load.get("failures", 0)), *[""] * 5]
    )
    return rows


def outside_load(http: dict[str, Any] | None) -> str:
    """`provisioning 20 requests, cleanup 12`: what the backend received besides the load."""
    if not http:
        return ""
    provisioning = http.get("provisioning", {}).get("requests", 0)
    cleanup = http.get("cleanup", {}).get("requests", 0)
    return f"besides the load: provisioning {provisioning} requests, cleanup {cleanup} (after the report)"


def text_table(rows: list[list[str]], head: tuple[str, ...]) -> list[str]:
    """Rows as aligned text: the first two columns to the left, the rest to the right."""
    table = [list(head), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in table
    ]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def console_lines(http: dict[str, Any] | None) -> list[str]:
    rows = http_rows(http)
    if not rows:
        return []
    return ["", *text_table(rows, HEAD), outside_load(http)]


def markdown_lines(http: dict[str, Any] | None) -> list[str]:
    rows = http_rows(http)
    if not rows:
        return []
    return [
        "",
        "### HTTP requests",
        "",
        "Each request the load sent, by endpoint, as the backend counts them "
        "(Locust's table counts the same).",
        "",
        "| " + " | ".join(HEAD) + " |",
        "|" + "---|" * len(HEAD),
        *("| " + " | ".join(cell or " " for cell in row) + " |" for row in rows),
        "",
        outside_load(http).capitalize() + ".",
    ]
