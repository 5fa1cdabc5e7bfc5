"""The users a process of a run is answerable for: made by provisioning, signed up by flows,
or tried and not known yet (a create whose answer was lost). Every uid is in the ledger
before its create request goes out, so none is ever lost track of."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._ledger import LedgerWriter, ledger_path


@dataclass
class UserBook:
    """This process's users of the current run, and its ledger."""

    provisioned: list[str] = field(default_factory=list)  # uids provisioning created (or lost)
    created: set[str] = field(default_factory=set)  # uids flows created and did not delete
    unsettled: set[str] = field(default_factory=set)  # uids flows tried to create, answer not (yet) OK
    provisioning_requests: int = 0  # what provisioning sent (not load; the backend counts it too)
    ledger: LedgerWriter | None = None
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def new_uid(self, prefix: str, run_id: str, worker_index: int, head: dict[str, Any], folder: Path) -> str:
        """A uid no other process or earlier run uses (uids are lowercase), in the ledger now.

        Known before the request goes out: a create whose answer is lost (reset, timeout,
        crash) may still have made the user; the user settles it when the answer says so.
        """
        uid = f"{prefix}{run_id.lower()}-w{worker_index}-{next(self._counter)}"
        self.unsettled.add(uid)
        self.journal(folder, head).tried((uid,))
        return uid

    def journal(self, folder: Path, head: dict[str, Any]) -> LedgerWriter:
        """This process's ledger of the run in `folder` (a web UI start is a new run, a new ledger)."""
        path = ledger_path(folder)
        if self.ledger is None or self.ledger.path != path:
            if self.ledger is not None:
                self.ledger.close()
            self.ledger = LedgerWriter(path, head)
        return self.ledger

    def to_clean(self) -> list[str]:
        """Every uid this process may have left on the backend."""
        return sorted(self.created | self.unsettled) + self.provisioned
