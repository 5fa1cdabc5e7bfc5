"""The run's life, on Locust's published events.

| event        | master or local process                                   | worker               |
|--------------|-----------------------------------------------------------|----------------------|
| init         | read files (exit 2 on a bad one), start the embedded mock | wait for the plan    |
| test_start   | provision identities, send each worker its plan and share | -                    |
| test_stop    | summary, thresholds, reports, exit code; clean up         | clean up its users   |
| quitting     | stop a still-running test (Ctrl-C), stop the mock         | -                    |

Worker figures travel with Locust's own stats reports (see `_metrics`).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust import stats as locust_stats
from locust.html import get_html_report
from locust.runners import STATE_INIT, STATE_STOPPED, MasterRunner, WorkerRunner

from .._exceptions import EXIT_CONFIG_ERROR, EXIT_RUN_ERROR, ConfigError, RunError
from .._redact import RedactingFilter, Redactor
from .._run_id import new_run_id
from ..mock import MockProcess
from ..protocol._steps import Identity
from ..report import console_table, write_reports
from ._plan import Plan, read_files, state_of
from ._provision import delete_users, provision
from ._summary import build_summary

log = logging.getLogger("authload")
PLAN_MESSAGE = "authload_plan"
FINAL_MESSAGE = "authload_final"  # worker -> master: my figures are all sent
FLUSH_MESSAGE = "authload_flush"  # master -> worker: stop your users and send your figures
FINAL_WAIT_SECONDS = 10.0  # beyond the stop timeout
CYCLE_STOP_TIMEOUT = 30.0  # seconds; overridden by Locust's --stop-timeout
_mocks: dict[int, MockProcess] = {}


def on_init(environment: Any, runner: Any, **_: Any) -> None:
    """Read the files and get the backend ready before anything spawns."""
    state = state_of(environment)
    environment.events.request.add_listener(state.recorder.on_request)
    if isinstance(runner, WorkerRunner):
        runner.register_message(PLAN_MESSAGE, lambda msg, **kw: _receive_plan(environment, msg.data))
        runner.register_message(FLUSH_MESSAGE, lambda msg, **kw: runner.stop())  # fires test_stop
        environment.events.report_to_master.add_listener(state.recorder.on_report_to_master)
        return
    if isinstance(runner, MasterRunner):
        environment.events.worker_report.add_listener(state.recorder.on_worker_report)
        runner.register_message(FINAL_MESSAGE, lambda msg, **kw: state.finished_workers.add(msg.data))
    options = environment.parsed_options
    try:
        state.plan = _build_plan(environment, options)
    except ConfigError as error:
        print(f"authload: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG_ERROR) from None
    except RunError as error:
        print(f"authload: {error}", file=sys.stderr)
        raise SystemExit(EXIT_RUN_ERROR) from None
    _apply_scenario_defaults(options, state.plan)
    if options.headless:
        _provision_pool(environment)
    if not environment.stop_timeout:
        # Let in-flight cycles finish when the run stops: a request the backend saw but the
        # report lost would make the figures disagree with the backend's own counts.
        environment.stop_timeout = CYCLE_STOP_TIMEOUT
    _install_redaction(state.plan)


def _build_plan(environment: Any, options: Any) -> Plan:
    scenario, env = read_files(options)
    base_url = environment.host
    if env.embedded_mock and not base_url:
        mock = MockProcess(env.mock_config())
        mock.start()
        _mocks[id(environment)] = mock
        base_url = environment.host = mock.base_url
    target = env.resolve(base_url)
    run_id = options.run_id or new_run_id()
    options.run_id = run_id
    return Plan(
        scenario=scenario,
        scenario_file=str(options.scenario),
        environment_name=env.name,
        backend=env.backend,
        target=target,
        run_id=run_id,
        report_dir=Path(options.report_dir) / run_id,
    )


def _apply_scenario_defaults(options: Any, plan: Plan) -> None:
    """The scenario's `load` fills in whatever the command line left out."""
    load = plan.scenario.load
    if options.num_users is None:
        options.num_users = load.users
    if options.spawn_rate is None:
        options.spawn_rate = load.spawn_rate
    if options.run_time is None and options.headless:
        options.run_time = int(load.run_time) or 1
    if getattr(options, "html_file", None) is None:
        plan.report_dir.mkdir(parents=True, exist_ok=True)
        options.html_file = str(plan.report_dir / "report.html")


def _install_redaction(plan: Plan) -> None:
    redacting = RedactingFilter(Redactor(plan.target.secrets()))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redacting)


def _receive_plan(environment: Any, data: dict[str, Any]) -> None:
    state = state_of(environment)
    state.plan = Plan.from_message(data["plan"])
    state.worker_index = int(data["worker_index"])
    state.set_identities([Identity(uid, token) for uid, token in data["identities"]])


def on_test_start(environment: Any, **_: Any) -> None:
    """Hand the identity pool out (provisioning it first if init did not); then the load may start."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        return
    state = state_of(environment)
    state.recorder.reset()
    state.expected_workers.clear()
    state.finished_workers.clear()
    state.started_at, state.interrupted, state.reported = time.time(), False, False
    plan = state.plan
    if plan is None:
        return
    if state.pool is None:
        _provision_pool(environment)
    if state.fatal:
        _fail(environment, state.fatal)
        return
    if isinstance(runner, MasterRunner):
        _send_plans(runner, plan, state.pool or [])
    else:
        state.set_identities(state.pool or [])


def _provision_pool(environment: Any) -> None:
    """Create the scenario's users and tokens; a pool nobody could be provisioned for is fatal.

    Headless runs do this in `init`, before Locust starts its run-time clock, so
    provisioning (which waits out rate limits) never eats into the measured run.
    """
    state = state_of(environment)
    assert state.plan is not None
    state.fatal = None
    if not state.plan.scenario.uses_pool():
        state.pool = []
        return
    outcome = provision(state.plan.scenario.identities, state.plan.target)
    state.provisioned = outcome.created
    state.pool = sorted(outcome.identities, key=lambda identity: identity.uid)
    log.info("provisioned %d identities (%d new)", len(state.pool), len(outcome.created))
    if outcome.errors:
        codes = ", ".join(f"{code} x{n}" for code, n in outcome.errors.most_common())
        log.error("provisioning failed for some identities: %s", codes)
        if not state.pool:
            state.fatal = f"could not provision any identity ({codes})"


def _send_plans(runner: MasterRunner, plan: Plan, identities: list[Identity]) -> None:
    """Each worker gets a disjoint share of the identities, before its spawn message."""
    workers = sorted(
        runner.clients.ready + runner.clients.running + runner.clients.spawning, key=lambda w: w.id
    )
    for index, worker in enumerate(workers):
        share = identities[index :: len(workers)] or identities  # fewer identities than workers: share
        state_of(runner.environment).expected_workers.add(worker.id)
        runner.send_message(
            PLAN_MESSAGE,
            {
                "plan": plan.to_message(),
                "worker_index": index,
                "identities": [[i.uid, i.token] for i in share],
            },
            client_id=worker.id,
        )


def _fail(environment: Any, reason: str) -> None:
    """The run cannot go on: report now (nothing was measured), then quit."""
    state = state_of(environment)
    state.fatal = reason
    log.error("%s", reason)
    _report(environment)
    gevent.spawn_later(0, environment.runner.quit)


def on_test_stop(environment: Any, **_: Any) -> None:
    """Report first (cleanup is not part of the figures), then clean up."""
    state = state_of(environment)
    plan = state.plan
    if plan is None:
        return
    if isinstance(environment.runner, WorkerRunner):
        _send_final_stats(environment)
    elif not state.reported:
        if isinstance(environment.runner, MasterRunner):
            _wait_for_workers(environment)
        _report(environment)
    if plan.scenario.identities.cleanup != "delete":
        return
    uids = sorted(state.created) + state.provisioned
    state.created.clear()
    state.provisioned, state.pool = [], None  # deleted: a next test (web UI) provisions afresh
    if uids:
        errors = delete_users(uids, plan.target, plan.scenario.identities.concurrency)
        if errors:
            log.warning("cleanup left users behind: %s", dict(errors))


def _send_final_stats(environment: Any) -> None:
    """A worker's last figures, before it tells the master it stopped.

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


def _wait_for_workers(environment: Any) -> None:
    """Master: the summary waits (bounded) until every worker has sent its last figures.

    When the run time ends, Locust's master quits without first stopping its
    workers, so test_stop fires here while they still run. Workers that have
    not reported are asked to stop their users and report (`FLUSH_MESSAGE`).
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


def _report(environment: Any) -> None:
    state = state_of(environment)
    state.reported = True
    if getattr(environment.parsed_options, "csv_prefix", None) and not state.fatal:
        # Locust's CSV writer runs every CSV_STATS_INTERVAL_SEC; let it write the final
        # figures once more, so its CSV and our summary count the same requests.
        gevent.sleep(locust_stats.CSV_STATS_INTERVAL_SEC + 0.1)
    assert state.plan is not None
    summary = build_summary(state, environment.runner.stats)
    path = write_reports(summary, state.plan.report_dir, state.plan.target.secrets())
    environment.process_exit_code = summary.exit_code
    html_file = getattr(environment.parsed_options, "html_file", None)
    if html_file:
        # Locust writes its HTML only when its main loop ends normally; on SIGTERM
        # (how `authload run` passes on Ctrl-C) it would be lost. Locust rewrites it later if it can.
        Path(html_file).write_text(get_html_report(environment, show_download_link=False), encoding="utf-8")
    print("\n" + Redactor(state.plan.target.secrets())(console_table(summary)), flush=True)
    print(f"authload: reports in {path.parent}", flush=True)


def on_quitting(environment: Any, **_: Any) -> None:
    """Ctrl-C lands here with the test still running: stop it so reports get written."""
    runner = environment.runner
    if runner is not None and not isinstance(runner, WorkerRunner):
        if runner.state not in (STATE_INIT, STATE_STOPPED):
            state_of(environment).interrupted = True
            runner.stop()
    mock = _mocks.pop(id(environment), None)
    if mock is not None:
        mock.stop()


def register(events: Any) -> None:
    """Attach every listener; called once by the locustfile."""
    events.init.add_listener(on_init)
    events.test_start.add_listener(on_test_start)
    events.test_stop.add_listener(on_test_stop)
    events.quitting.add_listener(on_quitting)
