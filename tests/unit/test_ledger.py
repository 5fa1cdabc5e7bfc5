"""The run ledger's format, its replay, and recovery from a crash mid-write."""

from __future__ import annotations

import json
from pathlib import Path

from authload.pool._ledger import (
    KEPT,
    UNSETTLED,
    LedgerWriter,
    cleanup_record,
    header,
    read_ledger,
    run_ledgers,
)

HEAD = header(
    run_id="r1",
    backend="cometchat",
    environment="staging",
    env_file="/cfg/staging.yaml",
    rest_base_url="https://app.api-us.cometchat.io",
    app_id="app",
    cleanup="delete",
)


def test_each_record_is_one_flushed_json_line_and_the_header_holds_no_key(tmp_path: Path) -> None:
    writer = LedgerWriter(tmp_path / "run" / "ledger-1.jsonl", HEAD)
    assert not (tmp_path / "run").exists()  # nothing written, nothing made
    writer.tried(["a", "b"])
    # Flushed at once: another process (or a crash) sees the line before the request is sent.
    lines = (tmp_path / "run" / "ledger-1.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [HEAD, {"try": ["a", "b"]}]
    assert set(HEAD) == {
        *("ledger", "run_id", "backend", "environment", "env_file", "rest_base_url", "app_id"),
        *("cleanup", "host", "pid", "started_at"),
    }
    writer.close()


def test_replay_pending_errors_and_settlement(tmp_path: Path) -> None:
    path = tmp_path / "ledger-1.jsonl"
    writer = LedgerWriter(path, HEAD)
    writer.tried(["a", "b", "c", "d", "pool-0"])
    writer.existed(["pool-0"])  # reused: never ours to delete
    writer.deleted(["a"])
    writer.failed({"b": "ERR_X", "zzz": "ERR_Y"})  # a uid the ledger never tried is ignored
    ledger = read_ledger(path)
    assert ledger.head == HEAD
    assert ledger.pending == {"b": "ERR_X", "c": None, "d": None}
    assert ledger.left() == {"b": "ERR_X", "c": UNSETTLED, "d": UNSETTLED}
    assert not ledger.settled

    writer.settled(2, {"c": "ERR_OPERATION_FAILED"})  # of all tried, only c remains
    writer.tried(["e"])
    writer.close()
    ledger = read_ledger(path)
    assert ledger.settled and ledger.run_deleted == 2
    assert ledger.pending == {"c": "ERR_OPERATION_FAILED", "e": None}


def test_a_truncated_last_line_is_skipped_and_the_next_append_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "ledger-1.jsonl"
    writer = LedgerWriter(path, HEAD)
    writer.tried(["a"])
    writer.close()
    with path.open("a") as handle:
        handle.write('{"try": ["b", "c')  # the process died mid-write: b and c were never sent
    ledger = read_ledger(path)
    assert ledger.pending == {"a": None} and ledger.damaged == 1

    later = LedgerWriter(path)  # `authload cleanup` appends to the same file, no second header
    later.deleted(["a"])
    later.close()
    lines = path.read_text().splitlines()
    assert lines[-1] == '{"deleted":["a"]}' and lines[-2].startswith('{"try": ["b"')
    ledger = read_ledger(path)
    assert ledger.pending == {} and ledger.damaged == 1 and ledger.head == HEAD


def test_cleanup_record_merges_every_process_of_the_run(tmp_path: Path) -> None:
    master = LedgerWriter(tmp_path / "ledger-1.jsonl", HEAD)
    master.tried(["pool-0", "pool-1"])
    master.settled(1, {"pool-1": "ERR_OPERATION_FAILED"})
    worker = LedgerWriter(tmp_path / "ledger-2.jsonl", HEAD)
    worker.tried(["w-0", "w-1"])
    worker.settled(2, {})
    crashed = LedgerWriter(tmp_path / "ledger-3.jsonl", HEAD)  # a worker that died: never settled
    crashed.tried(["x-0"])
    for writer in (master, worker, crashed):
        writer.close()
    (tmp_path / "summary.json").write_text("{}")  # not a ledger
    assert len(run_ledgers(tmp_path)) == 3
    assert cleanup_record(tmp_path) == {
        "deleted": 3,
        "left": [{"uid": "pool-1", "error": "ERR_OPERATION_FAILED"}, {"uid": "x-0", "error": UNSETTLED}],
    }


def test_cleanup_keep_is_said(tmp_path: Path) -> None:
    writer = LedgerWriter(tmp_path / "ledger-1.jsonl", {**HEAD, "cleanup": "keep"})
    writer.tried(["pool-0"])
    writer.settled(0, {"pool-0": KEPT})
    writer.close()
    assert cleanup_record(tmp_path) == {
        "deleted": 0,
        "left": [{"uid": "pool-0", "error": KEPT}],
        "skipped": "keep",
    }
