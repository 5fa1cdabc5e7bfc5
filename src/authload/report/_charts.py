"""Charts as inline SVG text: no script, no font or file from anywhere else.

A report must open offline, from a CI artifact, years later: SVG written
here needs nothing but the browser, weighs a few kB a chart, and is exact
(the numbers are in `<title>` tooltips, not only in pixels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 560, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 36, 30
PALETTE = ("#2563eb", "#d97706", "#dc2626", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d")

Line = tuple[str, Sequence[tuple[float, float]]]  # (label, [(x, y), ...])


def nice_step(span: float, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks over `span`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def _frame(title: str, y_max: float, y_unit: str, x_labels: list[tuple[float, str]]) -> list[str]:
    """The chart's box, title, horizontal grid with y labels, and x labels at pixel positions."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<text x="{_LEFT}" y="13" class="ct">{escape(title)}</text>',
    ]
    step = nice_step(y_max)
    tick = 0.0
    while tick <= y_max * 1.0001:
        y = _TOP + plot_h - plot_h * tick / y_max
        parts.append(f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{_LEFT - 4}" y="{y + 4:.1f}" class="yl">{_number(tick)}{y_unit}</text>')
        tick += step
    for x, label in x_labels:
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 10}" class="xl">{escape(label)}</text>')
    return parts


def line_chart(
    title: str,
    lines: Sequence[Line],
    x_max: float,
    y_unit: str = "",
    shaded: Sequence[tuple[float, float]] = (),
    *,
    x_unit: str = "s",
    marks: Sequence[tuple[float, str]] = (),
    dots: bool = False,
) -> str:
    """Lines over time (x in seconds from the run's start, or in `x_unit`), with a legend;
    `shaded` spans (the run's stalls) are drawn behind them, `marks` as labelled vertical lines
    (a capacity search's knee)."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    y_top = max((y for _, points in lines for _, y in points), default=0.0)
    y_max = max(nice_step(y_top) * math.ceil(y_top / nice_step(y_top)), 1e-9) if y_top > 0 else 1.0
    x_max = max(x_max, 1e-9)
    x_step = nice_step(x_max, 5)
    x_ticks = [i * x_step for i in range(int(x_max / x_step) + 1)]
    labels = [(_LEFT + plot_w * t / x_max, f"{_number(t)}{x_unit}") for t in x_ticks]
    parts = _frame(title, y_max, y_unit, labels)
    for begin, end in shaded:
        left, right = _LEFT + plot_w * min(begin, x_max) / x_max, _LEFT + plot_w * min(end, x_max) / x_max
        parts.append(
            f'<rect x="{left:.1f}" y="{_TOP}" width="{max(right - left, 1.0):.1f}" height="{plot_h}" '
            f'class="stall"><title>stalled {begin:.1f}-{end:.1f} s</title></rect>'
        )
    for index, (x, label) in enumerate(marks):
        left = _LEFT + plot_w * min(x, x_max) / x_max
        parts.append(
            f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{_TOP}" y2="{_TOP + plot_h}" class="mark">'
            f"<title>{escape(label)}</title></line>"
            f'<text x="{left - 3:.1f}" y="{_TOP + 10 + 12 * index}" class="lg mk">{escape(label)}</text>'
        )
    labels_shown = [label[:22] for label, _ in lines]
    # legend on its own line under the title; each entry as wide as its label (~7.5 px a character)
    widths = [24 + 7.5 * len(label) for label in labels_shown]
    legend_x = [_LEFT + sum(widths[:index]) for index in range(len(lines))]
    for index, (label, points) in enumerate(lines):
        color = PALETTE[index % len(PALETTE)]
        coords = " ".join(
            f"{_LEFT + plot_w * x / x_max:.1f},{_TOP + plot_h - plot_h * y / y_max:.1f}" for x, y in points
        )
        if coords:
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="1.6">'
                f"<title>{escape(label)}</title></polyline>"
            )
        if dots:  # discrete measurements (a capacity search's probes), each with its value
            for x, y in points:
                cx, cy = _LEFT + plot_w * x / x_max, _TOP + plot_h - plot_h * y / y_max
                tip = f"{label} at {x:g}{x_unit}: {y:.4g}{y_unit}"
                circle = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.5" fill="{color}">'
                parts.append(f"{circle}<title>{escape(tip)}</title></circle>")
        x = legend_x[index]
        parts.append(f'<rect x="{x:.0f}" y="23" width="10" height="3" fill="{color}"/>')
        parts.append(f'<text x="{x + 14:.0f}" y="29" class="lg">{escape(labels_shown[index])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, bars: Sequence[tuple[float, float, int]]) -> str:
    """A latency distribution: one bar per bucket (from ms, to ms, count), buckets side by side,
    so log-spaced buckets make a log-scaled axis."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    top = max((count for _, _, count in bars), default=0)
    y_max = float(nice_step(top) * math.ceil(top / nice_step(top))) if top else 1.0
    width = plot_w / max(len(bars), 1)
    every = max(1, math.ceil(len(bars) / 6))
    labels = [(_LEFT + width * i, f"{low:.3g}ms") for i, (low, _, _) in enumerate(bars) if i % every == 0]
    parts = _frame(title, y_max, "", labels)
    for i, (low, high, count) in enumerate(bars):
        h = plot_h * count / y_max
        parts.append(
            f'<rect x="{_LEFT + width * i + 0.5:.1f}" y="{_TOP + plot_h - h:.1f}" '
            f'width="{max(width - 1, 0.5):.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
            f"<title>{low:.3g}-{high:.3g} ms: {count}</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)
