"""Provisioning the identity pool before the load: users created (or reused) and tokens minted.

Not counted in the load's figures (its requests are counted apart, as `http.provisioning`).
Idempotent: a user that already exists is reused, so a rerun after `cleanup: keep` works.
Every uid goes into the run ledger (`_ledger`) before its create request is sent, a chunk
of `LEDGER_CHUNK` at a time; reused ones are marked `existed` (not ours: never deleted), so
after a crash at most one chunk of reused users is in doubt.

The caller brings the transport (`Transport`: the load path's driver in a Locust process),
the concurrency (`ForEach`) and the sleep; nothing here knows gevent or Locust.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ..common import ApiError, BackendError
from ..protocol import App, Exchange, create_auth_token, create_user, wire
from ..protocol._steps import Identity
from ..scenario import Identities, Target
from ..scenario._identities import CsvIdentity, read_identities
from ._concurrency import Cancel, ForEach, Progress
from ._ledger import LedgerWriter
from ._patience import Sleep, patiently

T = TypeVar("T")
LEDGER_CHUNK = 256  # uids written to the ledger at once, ahead of their create requests


class Transport(Protocol):
    """What runs a flow: `run(flow)`; `sent` counts the requests it has sent."""

    sent: int

    def run(self, flow: Exchange[T]) -> T: ...


@dataclass
class Outcome:
    """What provisioning did."""

    identities: list[Identity] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)  # create tried, answer lost: may exist
    errors: Counter[str] = field(default_factory=Counter)
    requests: int = 0  # HTTP requests sent (429 retries included): the backend received these


def pool_uids(spec: Identities) -> list[tuple[str, bool]]:
    """(uid, exists_already) for every identity the scenario asks for: generated uids are created;
    sample users and the CSV's users (`identities.csv`) are used as they are, never deleted."""
    uids = [(f"{spec.uid_prefix}{index}", False) for index in range(spec.count)]
    if spec.include_sample_users:
        uids += [(uid, True) for uid, _ in wire.SAMPLE_USERS]
    return uids + [(row.uid, True) for row in csv_rows(spec)]


def csv_rows(spec: Identities) -> list[CsvIdentity]:
    """The rows of `identities.csv` (the loader checked the file and made its path absolute)."""
    return read_identities(Path(spec.csv)) if spec.csv else []


def provision(
    spec: Identities,
    target: Target,
    transport: Transport,
    for_each: ForEach,
    sleep: Sleep,
    progress: Progress,
    *,
    cancel: Cancel | None = None,
    ledger: LedgerWriter | None = None,
) -> Outcome:
    """Create the pool's users (reusing existing ones) and mint tokens if pre-minted.

    Setting `cancel` (Ctrl-C) stops it soon; `outcome.created` and `outcome.unsettled` then say
    what to delete.
    """
    app = App(target.app_id)
    outcome = Outcome()
    book = _PoolLedger(ledger)
    sent_before = transport.sent
    given = {row.uid: row.auth_token for row in csv_rows(spec) if row.auth_token}

    def one(item: tuple[str, bool]) -> None:
        uid, sample = item
        try:
            if not sample:
                created = _create_or_reuse(transport, app, target, uid, sleep, progress)
                (outcome.created if created else book.existed).append(uid)
            token = given.get(uid)  # the CSV's own token; minted when missing
            if token is None and spec.tokens == "pre_minted":
                mint = lambda: create_auth_token(app, target.rest_api_key, uid)  # noqa: E731
                token = patiently(transport.run, mint, sleep, progress.throttled).token
            outcome.identities.append(Identity(uid, token))
        except BackendError as error:
            progress.failed()
            outcome.errors[error.code] += 1
            if isinstance(error, ApiError) and error.status < 500:  # refused: no user was made
                book.refused.append(uid)
        finally:
            progress.advance()

    items = pool_uids(spec)
    with progress.phase("provisioning", total=len(items)), _no_cyclic_gc():
        for_each(one, book.chunks(items), spec.concurrency, cancel)
    outcome.requests = transport.sent - sent_before
    book.mark_existed()
    done = {*outcome.created, *book.existed, *book.refused}
    outcome.unsettled = [uid for uid in book.tried if uid not in done]
    return outcome


@dataclass
class _PoolLedger:
    """The pool's uids into the ledger, each chunk before its first create request can go out."""

    ledger: LedgerWriter | None
    tried: list[str] = field(default_factory=list)
    existed: list[str] = field(default_factory=list)  # reused: not ours
    refused: list[str] = field(default_factory=list)  # an error answer: not created now
    marked: int = 0  # existed[:marked] are in the ledger

    def chunks(self, items: list[tuple[str, bool]]) -> Iterator[tuple[str, bool]]:
        for start in range(0, len(items), LEDGER_CHUNK):
            chunk = items[start : start + LEDGER_CHUNK]
            uids = [uid for uid, sample in chunk if not sample]
            self.tried += uids
            if uids:
                self.mark_existed()
                if self.ledger is not None:
                    self.ledger.tried(uids)
            yield from chunk

    def mark_existed(self) -> None:
        if self.ledger is not None and len(self.existed) > self.marked:
            self.ledger.existed(self.existed[self.marked :])
        self.marked = len(self.existed)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection while the pool grows: each full collection walks every
    identity made so far, and provisioning makes almost no cycles (a 100,000-user run: 60
    objects collected in 17 full collections). 3,507 -> 3,800 users/s at 100,000 in one
    measurement. Reference counting still frees everything else."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _create_or_reuse(
    transport: Transport, app: App, target: Target, uid: str, sleep: Sleep, progress: Progress
) -> bool:
    """Whether the user was created now (False: it existed already)."""
    try:
        make: Any = lambda: create_user(app, target.rest_api_key, uid, f"Load {uid}")  # noqa: E731
        patiently(transport.run, make, sleep, progress.throttled)
    except ApiError as error:
        if error.code == wire.ERR_UID_ALREADY_EXISTS:
            return False
        raise
    return True
