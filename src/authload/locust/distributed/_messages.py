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
from locust.runners import STATE_MISSING, STATE_STOPPED, STATE_STOPPING, MasterRunner, WorkerRunner

from ...common._errors import AuthloadError
from ...common._redact import redact_logs
from ...protocol._steps import Identity
from ..run._plan import Plan, RunState, state_of
from . import _membership as membership
from ._runkey import RunKey, resolve

log = logging.getLogger("authload")
PLAN_MESSAGE = "authload_plan"
FLUSH_MESSAGE = "authload_flush"
FINAL_MESSAGE = "authload_final"
FINAL_WAIT_SECONDS = 10.0  # beyond the stop timeout
WATCH_SECONDS = 0.25  # how often the master looks for lost workers


def _run_key(environment: Any) -> RunKey:
    """The run key, or exit 2 naming what is missing (before any worker is sent anything)."""
    try:
        key = resolve(environment.parsed_options)
    except AuthloadError as error:
        print(f"authload: {error}", file=sys.stderr)
        raise SystemExit(error.exit_code) from None
    assert key is not None  # master and worker runs are distributed
    redact_logs([key.text])
    return key


def listen_as_worker(environment: Any, runner: WorkerRunner) -> None:
    state = state_of(environment)
    state.run_key = key = _run_key(environment)
    runner.register_message(PLAN_MESSAGE, lambda msg, **_: receive_plan(environment, msg.data))
    runner.register_message(FLUSH_MESSAGE, lambda msg, **_: runner.stop())  # fires test_stop
    environment.events.report_to_master.add_listener(state.recorder.on_report_to_master)
    membership.join_as_worker(environment, runner, key, state.book)  # signs after the recorder fills


def listen_as_master(environment: Any, runner: MasterRunner) -> None:
    state = state_of(environment)
    state.run_key = key = _run_key(environment)
    membership.guard_as_master(environment, runner, key, state.book, state.recorder)

    def on_final(msg: Any, **_: Any) -> None:
        if membership.signed_final(key, msg.node_id, msg.data):
            state.finished_workers.add(msg.node_id)

    runner.register_message(FINAL_MESSAGE, on_final)


def receive_plan(environment: Any, sealed: Any) -> None:
    state, runner = state_of(environment), environment.runner
    assert state.run_key is not None
    try:
        data = state.run_key.open(sealed, runner.client_id)
    except ValueError as error:
        log.error("ignored a plan: %s (is AUTHLOAD_RUN_KEY the same as the master's?)", error)
        return
    state.plan = Plan.from_message(data["plan"])
    redact_logs(state.plan.secrets)
    state.worker_index = int(data["worker_index"])
    state.worker_count = int(data.get("worker_count", 1))
    # The run's clock, not this worker's start: arrivals keep their times however late Locust
    # spawns the scheduler here (durations only, so host clocks need not agree).
    state.origin = time.monotonic() - float(data.get("elapsed", 0.0))
    state.set_identities([Identity(uid, token) for uid, token in data["identities"]])


def send_plans(runner: MasterRunner, plan: Plan, identities: list[Identity]) -> None:
    """Each proven worker gets a disjoint share of the identities, sealed, before its spawn message."""
    state = state_of(runner.environment)
    assert state.run_key is not None
    state.expected_workers.clear()
    state.finished_workers.clear()
    state.lost_workers.clear()
    needed = int(getattr(runner.environment.parsed_options, "expect_workers", 1) or 1)
    workers = membership.settle(runner, state.book, needed)
    shape = runner.environment.shape_class
    for index, worker_id in enumerate(workers):
        share = identities[index :: len(workers)] or identities  # fewer identities than workers: share
        state.expected_workers.add(worker_id)
        message = {
            "plan": plan.to_message(),
            "worker_index": index,
            "worker_count": len(workers),
            "elapsed": shape.get_run_time() if shape is not None else 0.0,  # the run's clock now
            "identities": [[i.uid, i.token] for i in share],
        }
        runner.send_message(PLAN_MESSAGE, state.run_key.seal(message, worker_id), client_id=worker_id)
    gevent.spawn(_watch_workers, runner, state, state.started_at)


def _watch_workers(runner: MasterRunner, state: RunState, started_at: float) -> None:
    """Master: a worker gone before its final word is lost; the run cannot complete, so end it now."""
    while not state.reported and state.started_at == started_at:
        gevent.sleep(WATCH_SECONDS)
        if find_lost_workers(runner, state) and runner.state not in (STATE_STOPPING, STATE_STOPPED):
            gevent.spawn(runner.quit)  # Locust's own end of a run: test_stop reports, workers quit


def find_lost_workers(runner: MasterRunner, state: RunState) -> list[str]:
    """Record (once, with the time) expected workers that went missing or quit before finishing."""
    lost = []
    for worker_id in sorted(state.expected_workers - state.finished_workers - set(state.lost_workers)):
        node = runner.clients.get(worker_id)
        if node is None or node.state == STATE_MISSING:
            state.lost_workers[worker_id] = time.time()
            lost.append(worker_id)
            log.error(
                "worker %s was lost (%s) before sending its final figures; ending the run, "
                "the summary is incomplete",
                membership.short(worker_id),
                "no heartbeat" if node is not None else "it left",
            )
    return lost


def send_final_stats(environment: Any) -> None:
    """A worker's last figures, and then the word that they are all sent.

    Locust's worker reports stats every few seconds and once more only on
    quit, after the master's test_stop. Sending the same report Locust sends
    (its `report_to_master` event, a `stats` message) here lets the master's
    summary, and Locust's own CSV, include the last seconds of every worker.
    """
    state, runner = state_of(environment), environment.runner
    assert state.run_key is not None
    data: dict[str, Any] = {}
    environment.events.report_to_master.fire(client_id=runner.client_id, data=data)
    runner.send_message("stats", data)
    runner.send_message(FINAL_MESSAGE, membership.final_marker(runner, state.run_key, state.book))


def wait_for_workers(environment: Any) -> None:
    """Master: wait (bounded) until every worker has sent its last figures, or was lost.

    When the run time ends, Locust's master quits without first stopping its
    workers, so test_stop fires while they still run. Workers that have not
    reported are asked to stop their users and report.
    """
    state, runner = state_of(environment), environment.runner
    for worker_id in sorted(state.expected_workers - state.finished_workers - set(state.lost_workers)):
        runner.send_message(FLUSH_MESSAGE, None, client_id=worker_id)
    deadline = time.monotonic() + environment.stop_timeout + FINAL_WAIT_SECONDS

    def waiting() -> set[str]:
        find_lost_workers(runner, state)
        return state.expected_workers - state.finished_workers - set(state.lost_workers)

    while waiting() and time.monotonic() < deadline:
        gevent.sleep(0.05)
    for worker_id in sorted(waiting()):  # alive, maybe, but its last figures never came: lost too
        state.lost_workers[worker_id] = time.time()
        log.error("worker %s sent no final figures; the summary is incomplete", membership.short(worker_id))
