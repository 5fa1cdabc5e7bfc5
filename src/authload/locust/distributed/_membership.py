"""Who belongs to a distributed run: challenges, proofs, signed figures (see `_runkey`).

| message              | from -> to       | carries                                        |
|----------------------|------------------|------------------------------------------------|
| `authload_hello`     | worker -> master | - (once its listeners exist; asks for a nonce) |
| `authload_challenge` | master -> worker | a random nonce, on `client_ready` and hello    |
| `authload_proof`     | worker -> master | `tag("proof", worker id, nonce)`               |
| `authload_rejected`  | master -> worker | - (then Locust's `quit`): the proof was wrong  |
| `stats` (Locust's)   | worker -> master | authload's figures + `tag("report", id, seq, figures)` |

A worker that has not proven itself within `PROOF_SECONDS` is told to quit
and removed from Locust's worker list through Locust's own handling of a
worker's `quit` (so no users are dispatched to it). Figures whose tag does not
check are left out of the summary, counted, and logged once per sender.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import gevent
from locust.runners import MasterRunner, WorkerRunner

from ...report import METRICS_KEY, Recorder, short
from .. import _compat
from ._runkey import RunKey

log = logging.getLogger("authload")
HELLO_MESSAGE = "authload_hello"
CHALLENGE_MESSAGE = "authload_challenge"
PROOF_MESSAGE = "authload_proof"
REJECTED_MESSAGE = "authload_rejected"
SIGNATURE_KEY = "authload_signature"
PROOF_SECONDS = 3.0  # a worker on the same network answers in milliseconds
ENOUGH_WORKERS_SECONDS = 10.0  # how long a start waits for --expect-workers proven workers


@dataclass
class WorkerBook:
    """The master's view of its workers' membership (a worker uses only `next_seq`)."""

    challenges: dict[str, set[str]] = field(default_factory=dict)  # worker id -> outstanding nonces
    proven: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    seen: dict[str, set[int]] = field(default_factory=dict)  # worker id -> report seqs taken
    ignored_reports: int = 0
    ignored_from: set[str] = field(default_factory=set)  # senders of figures whose tag did not check
    next_seq: itertools.count[int] = field(default_factory=itertools.count)
    joined: dict[str, float] = field(default_factory=dict)  # worker id -> when a start first saw it


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# -- worker side ----------------------------------------------------------------------------------


def join_as_worker(environment: Any, runner: WorkerRunner, key: RunKey, book: WorkerBook) -> None:
    """Answer challenges, sign every report (after the recorder has filled it in)."""

    def answer(msg: Any, **_: Any) -> None:
        nonce = msg.data.get("nonce", "") if isinstance(msg.data, dict) else ""
        runner.send_message(PROOF_MESSAGE, {"tag": key.tag("proof", runner.client_id, str(nonce))})

    def rejected(msg: Any, **_: Any) -> None:
        log.error(
            "the master rejected this worker: its run key differs (set the same AUTHLOAD_RUN_KEY "
            "on the master and every worker)"
        )

    def sign(client_id: str, data: dict[str, Any]) -> None:
        seq = next(book.next_seq)
        tag = key.tag("report", client_id, seq, _canonical(data.get(METRICS_KEY, [])))
        data[SIGNATURE_KEY] = {"seq": seq, "tag": tag}

    runner.register_message(CHALLENGE_MESSAGE, answer)
    runner.register_message(REJECTED_MESSAGE, rejected)
    environment.events.report_to_master.add_listener(sign)
    # Locust's worker said `client_ready` before init ran: a challenge sent then found no listener.
    runner.send_message(HELLO_MESSAGE, None)


def final_marker(runner: WorkerRunner, key: RunKey, book: WorkerBook) -> dict[str, Any]:
    seq = next(book.next_seq)
    return {"seq": seq, "tag": key.tag("final", runner.client_id, seq)}


# -- master side ----------------------------------------------------------------------------------


def guard_as_master(
    environment: Any, runner: MasterRunner, key: RunKey, book: WorkerBook, recorder: Recorder
) -> None:
    """Challenge every worker that connects; take only signed figures into the recorder."""

    def challenge(client_id: str) -> None:
        nonce = secrets.token_hex(16)
        book.challenges.setdefault(client_id, set()).add(nonce)
        runner.send_message(CHALLENGE_MESSAGE, {"nonce": nonce}, client_id=client_id)

    def on_connect(client_id: str, **_: Any) -> None:
        book.proven.discard(client_id)
        challenge(client_id)
        gevent.spawn_later(PROOF_SECONDS, _reject_unless_proven, runner, book, client_id)

    def on_hello(msg: Any, **_: Any) -> None:
        if msg.node_id not in book.proven:
            challenge(msg.node_id)

    def on_proof(msg: Any, **_: Any) -> None:
        check_proof(runner, key, book, msg.node_id, msg.data)

    def on_report(client_id: str, data: dict[str, Any]) -> None:
        take_report(key, book, recorder, client_id, data)

    environment.events.worker_connect.add_listener(on_connect)
    environment.events.worker_report.add_listener(on_report)
    runner.register_message(PROOF_MESSAGE, on_proof)
    runner.register_message(HELLO_MESSAGE, on_hello)


def check_proof(runner: MasterRunner, key: RunKey, book: WorkerBook, worker_id: str, data: Any) -> None:
    if worker_id in book.proven:
        return  # the answer to a second challenge (client_ready and hello crossed)
    nonces = book.challenges.pop(worker_id, set())
    tag = data.get("tag") if isinstance(data, dict) else None
    if any(key.verify(tag, "proof", worker_id, nonce) for nonce in nonces):
        book.proven.add(worker_id)
    else:
        reject(runner, book, worker_id)


def take_report(
    key: RunKey, book: WorkerBook, recorder: Recorder, client_id: str, data: dict[str, Any]
) -> None:
    """Signed figures go to the recorder; others are counted and named once per sender."""
    if signed_report(key, book, client_id, data):
        recorder.on_worker_report(client_id, data)
    elif data.get(METRICS_KEY) or SIGNATURE_KEY in data:
        book.ignored_reports += 1
        if client_id not in book.ignored_from:
            log.warning("ignored figures from %s: not signed with this run's key", short(client_id))
        book.ignored_from.add(client_id)


def signed_report(key: RunKey, book: WorkerBook, client_id: str, data: dict[str, Any]) -> bool:
    """The report carries a valid tag for this sender and a sequence number not seen before."""
    signature = data.get(SIGNATURE_KEY)
    if not isinstance(signature, dict) or not isinstance(signature.get("seq"), int):
        return False
    seq, seen = signature["seq"], book.seen.setdefault(client_id, set())
    body = _canonical(data.get(METRICS_KEY, []))
    if seq in seen or not key.verify(signature.get("tag"), "report", client_id, seq, body):
        return False
    seen.add(seq)
    return True


def signed_final(key: RunKey, worker_id: str, data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("seq"), int):
        return False
    return key.verify(data.get("tag"), "final", worker_id, data["seq"])


def _reject_unless_proven(runner: MasterRunner, book: WorkerBook, client_id: str) -> None:
    if client_id not in book.proven:
        reject(runner, book, client_id)


def reject(runner: MasterRunner, book: WorkerBook, client_id: str) -> None:
    """Tell the worker to go, and have Locust forget it as it forgets a worker that stopped
    (its users go to the other workers; unlike a `quit`, losing the last worker ends nothing)."""
    book.challenges.pop(client_id, None)
    book.proven.discard(client_id)
    if client_id not in book.rejected:
        log.warning(
            "worker %s did not prove it belongs to this run (AUTHLOAD_RUN_KEY); it gets no plan "
            "and its figures are ignored",
            short(client_id),
        )
    book.rejected.add(client_id)
    runner.send_message(REJECTED_MESSAGE, None, client_id=client_id)
    runner.send_message("quit", None, client_id=client_id)
    _compat.forget_worker(runner, client_id)


def settle(runner: MasterRunner, book: WorkerBook, needed: int = 1) -> list[str]:
    """Wait (bounded) for the connected workers' proofs, rejecting whoever cannot give one, until
    `needed` workers (Locust's --expect-workers) are proven. A rogue that connected first counted
    toward Locust's --expect-workers: the run waits for the real ones rather than starting
    without them. Returns the proven workers, in order."""
    deadline = time.monotonic() + PROOF_SECONDS + ENOUGH_WORKERS_SECONDS
    while True:
        active = _compat.worker_ids(runner)
        for worker_id in active:
            started = book.joined.setdefault(worker_id, time.monotonic())
            if worker_id not in book.proven and time.monotonic() - started > PROOF_SECONDS:
                reject(runner, book, worker_id)
        proven = [w for w in active if w in book.proven]
        settled = all(w in book.proven or w in book.rejected for w in active)
        if (settled and len(proven) >= needed) or time.monotonic() > deadline:
            break
        gevent.sleep(0.02)
    for worker_id in active:
        if worker_id not in book.proven:
            reject(runner, book, worker_id)
    return [w for w in active if w in book.proven]
