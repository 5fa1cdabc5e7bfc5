"""Master and workers: who gets which identities, and when the last figures are in.

Only Locust's published messaging is used (`register_message`, `send_message`,
and the same `stats` report a worker sends on its own).

| message          | from -> to      | when                          | carries                            |
|------------------|-----------------|-------------------------------|------------------------------------|
| `authload_plan`  | master -> worker| test_start, before spawning   | the plan, worker index, identities |
| `authload_flush` | master -> worker| test_stop, workers still busy | - (stop your users, then report)   |
| `stats`          | worker -> master| worker test_stop              | Locust's and authload's figures    |
| `authload_final` | worker -> master| right after, cleanup done     | the worker's id                    |
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
from locust.runners import MasterRunner, WorkerRunner

from .._redact import redact_logs
from ..protocol._steps import Identity
from ._plan import Plan, state_of

log = logging.getLogger("authload")
PLAN_MESSAGE = "authload_plan"
FLUSH_MESSAGE = "authload_flush"
FINAL_MESSAGE = "authload_final"
FINAL_WAIT_SECONDS = 10.0  # beyond the stop timeout


def listen_as_worker(environment: Any, runner: WorkerRunner) -> None:
    state = state_of(environment)
    runner.register_message(PLAN_MESSAGE, lambda msg, **_: receive_plan(environment, msg.data))
    runner.register_message(FLUSH_MESSAGE, lambda msg, **_: runner.stop())  # fires test_stop
    environment.events.report_to_master.add_listener(state.recorder.on_report_to_master)


def listen_as_master(environment: Any, runner: MasterRunner) -> None:
    state = state_of(environment)
    environment.events.worker_report.add_listener(state.recorder.on_worker_report)
    runner.register_message(FINAL_MESSAGE, lambda msg, **_: state.finished_workers.add(msg.data))


def receive_plan(environment: Any, data: dict[str, Any]) -> None:
    state = state_of(environment)
    state.plan = Plan.from_message(data["plan"])
    redact_logs(state.plan.target.secrets())
    state.worker_index = int(data["worker_index"])
    state.set_identities([Identity(uid, token) for uid, token in data["identities"]])


def send_plans(runner: MasterRunner, plan: Plan, identities: list[Identity]) -> None:
    """Each worker gets a disjoint share of the identities, before its spawn message."""
    state = state_of(runner.environment)
    state.expected_workers.clear()
    state.finished_workers.clear()
    workers = sorted(
        runner.clients.ready + runner.clients.running + runner.clients.spawning, key=lambda w: w.id
    )
    for index, worker in enumerate(workers):
        share = identities[index :: len(workers)] or identities  # fewer identities than workers: share
        state.expected_workers.add(worker.id)
        message = {
            "plan": plan.to_message(),
            "worker_index": index,
            "identities": [[i.uid, i.token] for i in share],
        }
        runner.send_message(PLAN_MESSAGE, message, client_id=worker.id)


def send_final_stats(environment: Any) -> None:
    """A worker's last figures, and then the word that they are all sent.

    Locust's worker reports stats every few seconds and once more only on
    quit, after the master's test_stop. Sending the same report Locust sends
    (its `report_to_master` event, a `stats` message) here lets the master's
    summary, and Locust's own CSV, include the last seconds of every worker.
    """
    runner = environment.runner
    data: dict[str, Any] = {}
    environment.events.report_to_master.fire(client_id=runner.client_id, data=data)
    runner.send_message("stats", data)
    runner.send_message(FINAL_MESSAGE, runner.client_id)


def wait_for_workers(environment: Any) -> None:
    """Master: wait (bounded) until every worker has sent its last figures.

    When the run time ends, Locust's master quits without first stopping its
    workers, so test_stop fires while they still run. Workers that have not
    reported are asked to stop their users and report.
    """
    state, runner = state_of(environment), environment.runner
    for worker_id in sorted(state.expected_workers - state.finished_workers):
        runner.send_message(FLUSH_MESSAGE, None, client_id=worker_id)
    deadline = time.monotonic() + environment.stop_timeout + FINAL_WAIT_SECONDS
    while not state.expected_workers <= state.finished_workers and time.monotonic() < deadline:
        gevent.sleep(0.05)
    missing = state.expected_workers - state.finished_workers
    if missing:
        log.warning(
            "%d worker(s) sent no final figures; the summary may miss their last seconds", len(missing)
        )
