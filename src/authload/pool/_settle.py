"""The end of a run's users: delete them, settle the ledger, say what is left.

Each process deletes what it created (the master: the pool; every process:
users its flows left behind, or whose create answer was lost) and writes the
outcome to its ledger (`authload.pool._ledger`). The master (or only) process then
reads every ledger in the run folder and writes `cleanup` into `summary.json`,
in place: the summary was written before the cleanup, and its verdict does not
depend on it. Whatever is left can be deleted later with `authload cleanup RUN_ID`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from ..common._redact import Redactor
from ..locust.run._plan import RunState
from ..locust.run._setup import delete_users
from ..report._recorder import CLEANUP
from ._ledger import KEPT, cleanup_record

log = logging.getLogger("authload")
NOT_CLEANED = "NOT_CLEANED"  # stopped without waiting: cleanup was skipped


def clean_up(state: RunState, *, hurry: bool = False) -> None:
    """Delete this process's users (unless `cleanup: keep`, or `hurry`), then record the outcome."""
    plan = state.plan
    assert plan is not None
    uids = sorted(state.created | state.unsettled) + state.provisioned
    if plan.scenario.identities.cleanup != "delete":
        left = dict.fromkeys(uids, KEPT)
    else:
        state.created.clear()
        state.unsettled.clear()
        state.provisioned, state.pool = [], None  # deleted: a next test (web UI) provisions afresh
        if hurry:
            left = dict.fromkeys(uids, NOT_CLEANED)
        elif uids:
            left, requests = delete_users(uids, plan.target, plan.scenario.identities.concurrency)
            state.recorder.phase_requests[CLEANUP] += requests  # a worker ships it with its last figures
        else:
            left = {}
    settled = bool(uids) or (state.ledger is not None and state.ledger.opened)
    if settled:
        ledger = state.journal()
        ledger.settled(len(uids) - len(left), left)
        ledger.close()
        state.ledger = None
    if left and not state.reported:  # a worker; the master's summary and console cover it
        log.warning("cleanup left %d users behind (%s)", len(left), _codes(left.values()))
    summary = plan.report_dir / "summary.json"
    # test_stop may fire twice: the second time, with nothing new, the summary says it already.
    if state.reported and summary.exists() and (settled or "cleanup" not in _read(summary)):
        _record(plan.report_dir, plan.run_id, plan.secrets, state.recorder.phase_requests[CLEANUP])


def _record(run_folder: Path, run_id: str, secrets: list[str], requests: int) -> None:
    """Every process's outcome (and the requests the cleanup sent) into summary.json, and one
    line on the console."""
    record = cleanup_record(run_folder)
    add_cleanup(run_folder / "summary.json", record, secrets, requests)
    left = record["left"]
    if not left:
        if record["deleted"]:
            log.info("cleanup deleted %d users", record["deleted"])
        return
    codes = _codes(entry["error"] for entry in left)
    command = f"authload cleanup {run_id}" + _report_dir_option(run_folder)
    if record.get("skipped") == "keep":
        log.info("cleanup: keep: %d users kept; `%s` deletes them", len(left), command)
        return
    log.warning(
        "cleanup left users behind: %d deleted, %d left (%s); `%s` deletes them",
        record["deleted"],
        len(left),
        codes,
        command,
    )


def _read(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def add_cleanup(path: Path, cleanup: dict[str, Any], secrets: list[str], requests: int | None = None) -> None:
    """Write the cleanup's outcome into a written summary.json, in place (the rest unchanged);
    `requests`: what the cleanup sent, into `http.cleanup`."""
    summary = _read(path)
    summary["cleanup"] = cleanup
    if requests is not None and isinstance(summary.get("http"), dict):
        summary["http"]["cleanup"] = {"requests": requests}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(Redactor(secrets)(json.dumps(summary, indent=2) + "\n"), encoding="utf-8")
    temporary.replace(path)  # a reader never sees half a file


def _codes(codes: Any) -> str:
    return ", ".join(f"{code} x{n}" for code, n in Counter(codes).most_common())


def _report_dir_option(run_folder: Path) -> str:
    parent = run_folder.parent
    return "" if parent == Path("reports") else f" --report-dir {parent}"
