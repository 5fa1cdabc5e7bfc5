"""What the web UI's authload tab shows: the current (or last) run's own figures, as plain data.

Live, the figures come from `build_summary` over the master's HDR histograms (exact
percentiles, the same code that writes `summary.json`); once the run's summary is
written, from `summary.json` itself, so the tab's verdict is the report's. Only steps
on the wire add up to `total`; cycles and `session_check` are shown here, not in
Locust's request statistics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...report import BASE_S, CYCLE, STEP, build_summary

SERIES_POINTS = 120  # the charts' last points per step (a timeline holds at most 120 anyway)
FIGURES = ("requests", "failures", "p50", "p90", "p95", "p99", "max", "rps")


def cockpit_state(run: Any) -> dict[str, Any]:
    """The tab's data: Locust's state, the last refused start, and the run's figures."""
    data: dict[str, Any] = {
        "state": run.runner.state,
        "refused": run.refused,
        "run": None,
    }
    if run.plan is not None and run.started_at:
        data["run"] = _run(run)
    return data


def _run(state: Any) -> dict[str, Any]:
    plan = state.plan
    written = _written_summary(plan.report_dir) if state.reported else None
    summary = written or build_summary(state.facts()).to_json()
    rows = [
        {"kind": kind, "name": name, **{key: figures[key] for key in FIGURES}}
        for kind, group in ((STEP, "steps"), (CYCLE, "cycles"))
        for name, figures in summary[group].items()
    ]
    errors = [
        {"kind": row["kind"], "name": row["name"], "code": code, "count": count}
        for row, group in _with_groups(summary)
        for code, count in sorted(group["errors_by_code"].items(), key=lambda item: -item[1])
    ]
    return {
        "run_id": plan.run_id,
        "scenario": summary["scenario"]["name"],
        "environment": summary["environment"]["name"],
        "finished": written is not None,
        "rows": rows,
        "total": {key: summary["total"][key] for key in FIGURES},
        "errors": errors,
        "thresholds": summary["thresholds"],
        "verdict": summary["verdict"] if written else None,
        "status": summary["status"] if written else None,
        "error": summary.get("error"),
        "exit_code": summary["exit_code"] if written else None,
        "files": _files(plan.report_dir, plan.run_id) if written else [],
        "arrivals": summary.get("arrivals"),  # the open model's arrivals and drops, when it has them
        "series": _series(state),
    }


def _with_groups(summary: dict[str, Any]) -> list[tuple[dict[str, str], dict[str, Any]]]:
    return [
        ({"kind": kind, "name": name}, figures)
        for kind, group in ((STEP, "steps"), (CYCLE, "cycles"))
        for name, figures in summary[group].items()
    ]


def _written_summary(report_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not written yet (or being written): live figures meanwhile
    return data if isinstance(data, dict) and "verdict" in data else None


def _files(report_dir: Path, run_id: str) -> list[dict[str, str]]:
    """The run folder's files, as links the web UI serves (see `_webui.report_file`)."""
    return [
        {"name": path.name, "url": f"./authload/reports/{run_id}/{path.name}"}
        for path in sorted(report_dir.iterdir())
        if path.is_file() and not path.name.startswith(".")
    ]


def _series(state: Any) -> dict[str, list[list[float]]]:
    """Per step: [seconds since start, requests/s, p50, p95, p99] per interval, for the charts."""
    timelines = getattr(state.recorder, "timelines", {})
    found: dict[str, list[list[float]]] = {}
    for (kind, name), timeline in sorted(timelines.items()):
        if kind != STEP:
            continue
        points = timeline.points(state.started_at, state.stopped_at or None)[-SERIES_POINTS:]
        found[name] = [
            [
                round(point.at_s, 1),
                round(point.requests / max(point.width_s, BASE_S / 10), 2),
                round(point.p50, 2),
                round(point.p95, 2),
                round(point.p99, 2),
            ]
            for point in points
            if point.at_s >= 0
        ]
    return found
