"""Master and workers: who gets which identities, and when the last figures are in.

Only Locust's published messaging is used (`register_message`, `send_message`,
and the same `stats` report a worker sends on its own). Membership (who may
join, what is signed and sealed) is in `_membership` and `_runkey`.

| message          | from -> to       | when                          | carries                             |
|------------------|------------------|-------------------------------|-------------------------------------|
| `authload_plan`  | master -> worker | test_start, proven workers    | sealed: plan, index, identities     |
| `authload_flush` | master -> worker | test_stop, workers still busy | - (stop your users, then report)    |
| `stats`          | worker -> master | worker test_stop              | Locust's and authload's figures     |
| `authload_final` | worker -> master | right after, cleanup done     | a signed marker                     |

A worker that stops answering Locust's heartbeats (or quits) before its final
marker is lost: the master records which and when, ends the run at once, and
the summary says `incomplete` (exit 3).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import gevent
from locust.runners import STATE_MISSING, STATE_STOPPED, STATE_STOPPING

from ...common import AuthloadError
from ...common._redact import redact_logs
from ...protocol._steps import Identity
from ...report import short
from .. import _compat
from ..run._plan import Plan
from . import _membership as membership
from ._runkey import RunKey, resolve

log = logging.getLogger("authload")
PLAN_MESSAGE = "authload_plan"
FLUSH_MESSAGE = "authload_flush"
FINAL_MESSAGE = "authload_final"
FINAL_WAIT_SECONDS = 10.0  # beyond the stop timeout
WATCH_SECONDS = 0.25  # how often the master looks for lost workers


def _run_key(options: Any) -> RunKey:
    """The run key, or exit 2 naming what is missing (before any worker is sent anything)."""
    try:
        key = resolve(options)
    except AuthloadError as error:
        print(f"authload: {error}", file=sys.stderr)
        raise SystemExit(error.exit_code) from None
    assert key is not None  # master and worker runs are distributed
    redact_logs([key.text])
    return key


def listen_as_worker(run: Any) -> None:
    """A worker: hear plans and stop requests, ship signed figures with every report."""
    runner = run.runner
    run.run_key = key = _run_key(run.options)
    runner.register_message(PLAN_MESSAGE, lambda msg, **_: receive_plan(run, msg.data))
    runner.register_message(FLUSH_MESSAGE, lambda msg, **_: runner.stop())  # fires test_stop
    run.environment.events.report_to_master.add_listener(run.recorder.on_report_to_master)
    membership.join_as_worker(run.environment, runner, key, run.book)  # signs after the recorder fills


def listen_as_master(run: Any) -> None:
    """The master: challenge workers, believe only signed figures, hear final markers."""
    runner = run.runner
    run.run_key = key = _run_key(run.options)
    membership.guard_as_master(run.environment, runner, key, run.book, run.recorder)

    def on_final(msg: Any, **_: Any) -> None:
        if membership.signed_final(key, msg.node_id, msg.data):
            run.finished_workers.add(msg.node_id)

    runner.register_message(FINAL_MESSAGE, on_final)


def receive_plan(run: Any, sealed: Any) -> None:
    try:
        data = run.run_key.open(sealed, run.runner.client_id)
    except ValueError as error:
        log.error("ignored a plan: %s (is AUTHLOAD_RUN_KEY the same as the master's?)", error)
        return
    identities = [Identity(uid, token) for uid, token in data["identities"]]
    plan = Plan.from_message(data["plan"])
    run.receive_plan(
        plan,
        int(data["worker_index"]),
        int(data.get("worker_count", 1)),
        float(data.get("elapsed", 0.0)),
        identities,
    )


def send_plans(run: Any) -> None:
    """Each proven worker gets a disjoint share of the identities, sealed, before its spawn message."""
    runner, plan = run.runner, run.plan
    run.expected_workers.clear()
    run.finished_workers.clear()
    run.lost_workers.clear()
    needed = int(getattr(run.options, "expect_workers", 1) or 1)
    workers = membership.settle(runner, run.book, needed)
    shape = run.environment.shape_class
    for index, worker_id in enumerate(workers):
        run.expected_workers.add(worker_id)
        message = {
            "plan": plan.to_message(),
            "worker_index": index,
            "worker_count": len(workers),
            "elapsed": shape.get_run_time() if shape is not None else 0.0,  # the run's clock now
            "identities": [[i.uid, i.token] for i in run.identities.share(index, len(workers))],
        }
        runner.send_message(PLAN_MESSAGE, run.run_key.seal(message, worker_id), client_id=worker_id)
    gevent.spawn(_watch_workers, run, run.started_at)


def _watch_workers(run: Any, started_at: float) -> None:
    """Master: a worker gone before its final word is lost; the run cannot complete, so end it now."""
    runner = run.runner
    while not run.reported and run.started_at == started_at:
        gevent.sleep(WATCH_SECONDS)
        if find_lost_workers(run) and runner.state not in (STATE_STOPPING, STATE_STOPPED):
            gevent.spawn(runner.quit)  # Locust's own end of a run: test_stop reports, workers quit


def find_lost_workers(run: Any) -> list[str]:
    """Record (once, with the time) expected workers that went missing or quit before finishing."""
    lost = []
    for worker_id in sorted(run.expected_workers - run.finished_workers - set(run.lost_workers)):
        state = _compat.worker_state(run.runner, worker_id)
        if state is None or state == STATE_MISSING:
            run.lost_workers[worker_id] = time.time()
            lost.append(worker_id)
            log.error(
                "worker %s was lost (%s) before sending its final figures; ending the run, "
                "the summary is incomplete",
                short(worker_id),
                "no heartbeat" if state is not None else "it left",
            )
    return lost


def send_final_stats(run: Any) -> None:
    """A worker's last figures, and then the word that they are all sent.

    Locust's worker reports stats every few seconds and once more only on
    quit, after the master's test_stop. Sending the same report Locust sends
    (its `report_to_master` event, a `stats` message) here lets the master's
    summary, and Locust's own CSV, include the last seconds of every worker.
    """
    runner = run.runner
    data: dict[str, Any] = {}
    run.environment.events.report_to_master.fire(client_id=runner.client_id, data=data)
    runner.send_message("stats", data)
    runner.send_message(FINAL_MESSAGE, membership.final_marker(runner, run.run_key, run.book))


def wait_for_workers(run: Any) -> None:
    """Master: wait (bounded) until every worker has sent its last figures, or was lost.

    When the run time ends, Locust's master quits without first stopping its
    workers, so test_stop fires while they still run. Workers that have not
    reported are asked to stop their users and report.
    """
    runner = run.runner
    for worker_id in sorted(run.expected_workers - run.finished_workers - set(run.lost_workers)):
        runner.send_message(FLUSH_MESSAGE, None, client_id=worker_id)
    deadline = time.monotonic() + run.environment.stop_timeout + FINAL_WAIT_SECONDS

    def waiting() -> set[str]:
        find_lost_workers(run)
        return set(run.expected_workers - run.finished_workers - set(run.lost_workers))

    while waiting() and time.monotonic() < deadline:
        gevent.sleep(0.05)
    for worker_id in sorted(waiting()):  # alive, maybe, but its last figures never came: lost too
        run.lost_workers[worker_id] = time.time()
        log.error("worker %s sent no final figures; the summary is incomplete", short(worker_id))
