"""The end of a run's users: delete them, settle the ledger, say what is left.

Each process deletes what it is answerable for (`UserBook`: the pool on the master; on every
process the users its flows left behind, or whose create answer was lost) and writes the
outcome to its ledger (`_ledger`). The master (or only) process then reads every ledger in
the run folder and has `cleanup` written into `summary.json` (by the report's one writer),
in place: the summary was written before the cleanup, and its verdict does not depend on
it. Whatever is left can be deleted later with `authload cleanup RUN_ID`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..report import read_summary_file, update_cleanup
from ._book import UserBook
from ._ledger import KEPT, cleanup_record

log = logging.getLogger("authload")
NOT_CLEANED = "NOT_CLEANED"  # stopped without waiting: cleanup was skipped
Delete = Callable[[list[str]], tuple[dict[str, str], int]]  # uids -> (uid -> code left, requests)


def settle(
    book: UserBook, *, keep: bool, hurry: bool, delete: Delete, folder: Path, head: dict[str, Any]
) -> tuple[dict[str, str], int, bool]:
    """Delete the book's users (unless `keep`, or `hurry`), then write the outcome to the ledger.

    Returns (uid -> why it is left, requests sent, whether the ledger got a record)."""
    uids = book.to_clean()
    requests = 0
    if keep:
        left = dict.fromkeys(uids, KEPT)
    else:
        book.created.clear()
        book.unsettled.clear()
        book.provisioned = []
        if hurry:
            left = dict.fromkeys(uids, NOT_CLEANED)
        elif uids:
            left, requests = delete(uids)
        else:
            left = {}
    recorded = bool(uids) or (book.ledger is not None and book.ledger.opened)
    if recorded:
        ledger = book.journal(folder, head)
        ledger.settled(len(uids) - len(left), left)
        ledger.close()
        book.ledger = None
    return left, requests, recorded


def record(folder: Path, run_id: str, secrets: list[str], requests: int, *, recorded: bool) -> None:
    """Every process's outcome (and the requests the cleanup sent) into summary.json, and one
    line on the console. test_stop may fire twice: the second time, with nothing new
    (`recorded` False), a summary that says it already is left alone."""
    summary = folder / "summary.json"
    if not summary.exists() or (not recorded and "cleanup" in read_summary_file(summary)):
        return
    outcome = cleanup_record(folder)
    update_cleanup(summary, outcome, secrets, requests)
    left = outcome["left"]
    if not left:
        if outcome["deleted"]:
            log.info("cleanup deleted %d users (%d requests)", outcome["deleted"], requests)
        return
    command = f"authload cleanup {run_id}" + _report_dir_option(folder)
    if outcome.get("skipped") == "keep":
        log.info("cleanup: keep: %d users kept; `%s` deletes them", len(left), command)
        return
    log.warning(
        "cleanup left users behind: %d deleted, %d left (%s); `%s` deletes them",
        outcome["deleted"],
        len(left),
        codes(entry["error"] for entry in left),
        command,
    )


def codes(found: Iterable[str]) -> str:
    """`ERR_X x3, ERR_Y x1`."""
    return ", ".join(f"{code} x{n}" for code, n in Counter(found).most_common())


def _report_dir_option(run_folder: Path) -> str:
    parent = run_folder.parent
    return "" if parent == Path("reports") else f" --report-dir {parent}"
