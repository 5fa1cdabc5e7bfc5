"""Goodput, throttling and stalls, as every view says them (console, summary.md, authload.html,
junit.xml): the rate of cycles that ended well, the 429s apart from other failures, and the
spans in which the backend answered nothing while requests waited."""

from __future__ import annotations

from typing import Any

from ._summary import RunSummary


def stall_text(stalls: list[dict[str, Any]]) -> str:
    """`none`, or `2 (4.2 s in all): 3.1-5.0 s (8 in flight), ...`."""
    if not stalls:
        return "none"
    total = sum(stall["to_s"] - stall["from_s"] for stall in stalls)
    spans = ", ".join(
        f"{s['from_s']:.1f}-{s['to_s']:.1f} s ({s['in_flight']} in flight)" for s in stalls[:10]
    )
    more = f", and {len(stalls) - 10} more" if len(stalls) > 10 else ""
    return f"{len(stalls)} ({total:.1f} s in all): {spans}{more}"


def generator_text(generator: dict[str, Any]) -> str:
    """`local 43% of a core`, and a warning when a process was busy enough to measure itself."""
    shares = ", ".join(f"{name} {share * 100:.0f}%" for name, share in generator["cpu"].items())
    if not generator["busy"]:
        return f"{shares} of a core"
    return f"{shares} of a core: BUSY, the figures may measure the load generator (add workers)"


def health_lines(summary: RunSummary) -> list[str]:
    """The console's lines under the tables."""
    flows = ", ".join(f"{name} {figures.goodput:.1f}" for name, figures in summary.cycles.items())
    total = summary.total
    lines = [
        f"goodput (cycles/s with no error and no correctness failure): {flows or '-'}; "
        f"total {total.goodput:.1f}/s",
        f"throttled (HTTP 429): {total.throttled} ({total.throttle_rate * 100:.2f}% of steps on the wire); "
        f"retried after a 429: {total.retried}",
        f"stalls (requests in flight, none answered): {stall_text(summary.stalls)}",
    ]
    if summary.generator:
        lines.append(f"load generator CPU: {generator_text(summary.generator)}")
    return lines


def health_markdown(summary: RunSummary) -> list[str]:
    total = summary.total
    rows = [f"| {name} | {figures.goodput:.1f} |" for name, figures in summary.cycles.items()]
    return [
        "",
        "### Goodput, throttling and stalls",
        "",
        "| flow | goodput (good cycles/s) |",
        "|---|---|",
        *rows,
        f"| **total** | {total.goodput:.1f} |",
        "",
        f"Throttled (HTTP 429): {total.throttled} ({total.throttle_rate * 100:.2f}% of steps on the wire); "
        f"retried after a 429: {total.retried}.",
        "",
        f"Stalls (spans of at least the stall time with requests in flight and none answered): "
        f"{stall_text(summary.stalls)}.",
        *(["", f"Load generator CPU: {generator_text(summary.generator)}."] if summary.generator else []),
    ]


def health_properties(summary: RunSummary) -> dict[str, str]:
    """junit.xml's suite properties."""
    total = summary.total
    return {
        "goodput_per_s": f"{total.goodput:.3f}",
        "throttled": str(total.throttled),
        "throttle_rate": f"{total.throttle_rate:.6f}",
        "stalled_s": f"{total.stalled_s:.3f}",
        "stalls": stall_text(summary.stalls),
        **({"generator_cpu_max": f"{summary.generator['cpu_max']:.3f}"} if summary.generator else {}),
    }
