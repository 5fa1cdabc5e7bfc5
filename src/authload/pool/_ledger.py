"""The run ledger: every uid a run tries to create, written down before the request.

A run's users must never be lost track of, whatever happens to the run: a
failed cleanup, a reset after the backend created the user, a crash. Each
process of a run appends to its own file in the run folder,
`reports/<run-id>/ledger-<pid>.jsonl` (a worker on another host: the same path
under its own report dir), one JSON object per line, flushed at once:

| record                                 | means                                                   |
|----------------------------------------|---------------------------------------------------------|
| `{"ledger": 1, "run_id", ...}`         | first line: where the users live (no keys, see `header`)|
| `{"try": [uid, ...]}`                  | about to be created; written before the request is sent |
| `{"existed": [uid, ...]}`              | was there already (reused): not ours, never deleted     |
| `{"deleted": [uid, ...]}`              | gone (deleted, or the backend says it does not exist)   |
| `{"failed": [{"uid", "error"}, ...]}`  | a delete failed with that error code; still there       |
| `{"settled": {"deleted", "left"}}`     | the run's own cleanup: of all tried, only `left` remain |

Still pending = tried, less existed, deleted, and what a `settled` record says
is gone. A crash mid-write leaves a truncated last line: it is skipped (its
request was never sent), and the next append starts on a new line. Plain
stdlib file I/O, so the CLI and Locust processes (gevent) share it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT = 1
PATTERN = "ledger*.jsonl"
UNSETTLED = "UNSETTLED"  # a process wrote no cleanup result: crashed, killed, or still running
KEPT = "KEPT"  # `cleanup: keep`


def ledger_path(run_folder: Path) -> Path:
    """This process's ledger file in a run folder."""
    return run_folder / f"ledger-{os.getpid()}.jsonl"


def header(
    *,
    run_id: str,
    backend: str,
    environment: str,
    env_file: str,
    rest_base_url: str,
    app_id: str,
    cleanup: str,
) -> dict[str, Any]:
    """The first record: what `authload cleanup` needs to find the users again, and no secret.

    The keys are read again from `env_file` (its `${VAR}`s from the process environment).
    """
    return {
        "ledger": FORMAT,
        "run_id": run_id,
        "backend": backend,
        "environment": environment,
        "env_file": env_file,
        "rest_base_url": rest_base_url,
        "app_id": app_id,
        "cleanup": cleanup,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


class LedgerWriter:
    """Appends records to one ledger file; opened on the first record, so an idle run leaves none."""

    def __init__(self, path: Path, head: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self._head = head
        self._file: IO[str] | None = None

    def tried(self, uids: Iterable[str]) -> None:
        """Call before sending the create requests of `uids`."""
        self._write({"try": list(uids)})

    def existed(self, uids: Iterable[str]) -> None:
        self._write({"existed": list(uids)})

    def deleted(self, uids: Iterable[str], **extra: str) -> None:
        self._write({"deleted": list(uids), **extra})

    def failed(self, errors: Mapping[str, str]) -> None:
        self._write({"failed": [{"uid": uid, "error": code} for uid, code in sorted(errors.items())]})

    def settled(self, deleted: int, left: Mapping[str, str]) -> None:
        """The run's own cleanup is over: `deleted` users went, `left` (uid → error code) remain."""
        entries = [{"uid": uid, "error": code} for uid, code in sorted(left.items())]
        self._write({"settled": {"deleted": deleted, "left": entries}})

    @property
    def opened(self) -> bool:
        return self._file is not None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, record: Mapping[str, Any]) -> None:
        if self._file is None:
            self._file = self._open()
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()  # in the OS before the request goes out: a crashed process loses nothing

    def _open(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        size = handle.seek(0, os.SEEK_END)
        if size:
            handle.seek(size - 1)
            if handle.read(1) != "\n":  # a crash cut the last line: start a fresh one
                handle.write("\n")
        elif self._head is not None:
            handle.write(json.dumps(dict(self._head), separators=(",", ":")) + "\n")
        return handle


@dataclass
class Ledger:
    """One ledger file, read: its header and the uids still to delete (uid → last error, or None)."""

    path: Path
    head: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, str | None] = field(default_factory=dict)
    settled: bool = False  # the writing process recorded its cleanup
    run_deleted: int = 0  # users the run's own cleanup deleted
    damaged: int = 0  # lines that were not JSON (a truncated last line after a crash)

    def left(self) -> dict[str, str]:
        """Pending uids with the reason they are still there."""
        return {uid: error or UNSETTLED for uid, error in self.pending.items()}


def read_ledger(path: Path) -> Ledger:
    """Replay a ledger file."""
    ledger = Ledger(path)
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                ledger.damaged += line.strip() != ""
                continue
            if isinstance(record, dict):
                _apply(ledger, record)
    return ledger


def _apply(ledger: Ledger, record: dict[str, Any]) -> None:
    pending = ledger.pending
    if "ledger" in record:
        ledger.head = record
    for uid in record.get("try", ()):
        pending.setdefault(uid, None)
    for uid in (*record.get("existed", ()), *record.get("deleted", ())):
        pending.pop(uid, None)
    for entry in record.get("failed", ()):
        if entry.get("uid") in pending:
            pending[entry["uid"]] = entry.get("error")
    settled = record.get("settled")
    if isinstance(settled, dict):
        ledger.settled = True
        ledger.run_deleted += int(settled.get("deleted", 0))
        ledger.pending = {entry["uid"]: entry.get("error") for entry in settled.get("left", ())}


def run_ledgers(run_folder: Path) -> list[Ledger]:
    """Every ledger file of a run folder, read."""
    return [read_ledger(path) for path in sorted(run_folder.glob(PATTERN))]


def cleanup_record(run_folder: Path) -> dict[str, Any]:
    """`summary.json`'s `cleanup`: users the run's cleanup deleted and those left, over all processes."""
    ledgers = run_ledgers(run_folder)
    left: dict[str, str] = {}
    for ledger in ledgers:
        left.update(ledger.left())
    record: dict[str, Any] = {
        "deleted": sum(ledger.run_deleted for ledger in ledgers),
        "left": [{"uid": uid, "error": code} for uid, code in sorted(left.items())],
    }
    if any(ledger.head.get("cleanup") == "keep" for ledger in ledgers):
        record["skipped"] = "keep"
    return record
