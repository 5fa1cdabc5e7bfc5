"""The run's life, on Locust's published events.

| event        | master or local process                                      | worker                 |
|--------------|--------------------------------------------------------------|------------------------|
| init         | read files (exit 2 on a bad one), start the embedded mock;   | wait for the plan      |
|              | headless: provision now, before the run-time clock starts    |                        |
| test_start   | web UI: re-read changed files, provision; hand identities out| -                      |
| test_stop    | wait for workers' figures; summary, thresholds, reports,     | clean up its users,    |
|              | exit code; clean up                                          | then send its figures  |
| quitting     | stop a still-running test (Ctrl-C), stop the mock            | -                      |

Worker traffic is in `_distributed`; figures in `_metrics` and `_summary`.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import gevent
from gevent.event import Event
from locust import stats as locust_stats
from locust.exception import StopTest
from locust.html import get_html_report
from locust.runners import STATE_INIT, STATE_STOPPED, MasterRunner, WorkerRunner

from ...common._errors import EXIT_RUN_ERROR, AuthloadError, RunError
from ...common._lifeline import die_with_launcher, die_with_parent
from ...common._redact import Redactor, redact_logs
from ...common._run_id import new_run_id
from ...mock import MockConfig, MockProcess
from ...pool._settle import clean_up
from ...report import console_table, write_reports
from ...report._build import build_summary
from ...scenario import environment_path
from ..distributed import _messages as distributed
from ..load._driver import check_tls
from ._plan import Plan, read_files, state_of
from ._reporting import report_inputs, start_recording
from ._setup import provision
from ._stopping import install_hurry_handler, stopping_of

log = logging.getLogger("authload")
CYCLE_STOP_TIMEOUT = 30.0  # seconds; overridden by Locust's --stop-timeout
_mocks: dict[int, MockProcess] = {}
# Web UI starts: prepared by the form's gate (ids of environments), and the last refusal's message.
_prepared: set[int] = set()
refused: WeakKeyDictionary[Any, str] = WeakKeyDictionary()


def on_init(environment: Any, runner: Any, **_: Any) -> None:
    """Read the files and get the backend ready before anything spawns."""
    state = state_of(environment)
    start_recording(environment, state)  # time-series intervals for authload.html; progress line
    _tie_to_parent(environment, runner)
    install_hurry_handler(environment)
    # Everything imported so far lives for the whole run: keep it out of the cyclic GC's scans,
    # which otherwise cost a load process several percent of its requests.
    gc.freeze()
    if isinstance(runner, WorkerRunner):
        distributed.listen_as_worker(environment, runner)
        return
    if isinstance(runner, MasterRunner):
        distributed.listen_as_master(environment, runner)
    # Added now, after the runner's own listener: quitting fires in reverse, so ours runs first.
    environment.events.quitting.add_listener(on_quitting)
    options = environment.parsed_options
    try:
        state.plan = _build_plan(environment, options)
    except AuthloadError as error:
        print(f"authload: {error}", file=sys.stderr)
        raise SystemExit(error.exit_code) from None
    _apply_scenario_defaults(options, state.plan)
    if not environment.stop_timeout:
        # Let in-flight cycles finish when the run stops: a request the backend saw but the
        # report lost would make the figures disagree with the backend's own counts.
        environment.stop_timeout = CYCLE_STOP_TIMEOUT
    if options.headless:
        _provision_interruptibly(environment)


def _tie_to_parent(environment: Any, runner: Any) -> None:
    """No process of a run outlives the one that started it (kill -9 included): it stops instead."""
    if isinstance(runner, WorkerRunner) and getattr(environment.parsed_options, "processes", None):
        die_with_parent(os.getppid())  # forked by the --processes master
    else:
        die_with_launcher()  # `authload run`, when it started us


def _build_plan(environment: Any, options: Any) -> Plan:
    scenario, env = read_files(options)
    # Only a --host given on the command line overrides the environment's own hosts: a web UI
    # start that switches environments must not go to the previous start's backend.
    base_url = getattr(options, "host", None) or None
    if env.embedded_mock and not base_url:
        base_url = environment.host = _embedded_mock(environment, env.mock_config()).base_url
    run_id = options.run_id or new_run_id()
    target = env.resolve(base_url)
    check_tls(target)  # a certificate that does not verify ends the run here: nothing sent yet
    plan = Plan(
        scenario=scenario,
        scenario_file=str(options.scenario),
        environment_name=env.name,
        backend=env.backend,
        target=target,
        run_id=run_id,
        report_dir=Path(options.report_dir) / run_id,
        options_key=(options.scenario, options.env),
        env_file=str(environment_path(options.env, options.config_dir).resolve()),
    )
    redact_logs(plan.secrets)
    return plan


def _embedded_mock(environment: Any, config: MockConfig) -> MockProcess:
    """The embedded mock with these settings: the running one, or a new one when they changed."""
    mock = _mocks.get(id(environment))
    if mock is not None and mock.config != config:
        mock.stop()
        mock = None
    if mock is None:
        mock = _mocks[id(environment)] = MockProcess(config)
        mock.start()
    return mock


def _apply_scenario_defaults(options: Any, plan: Plan) -> None:
    """The scenario's `load` fills in whatever the command line left out."""
    load = plan.scenario.load
    if options.num_users is None:
        options.num_users = load.users
    if options.spawn_rate is None:
        options.spawn_rate = load.spawn_rate
    if options.run_time is None and options.headless:
        options.run_time = max(1, round(load.run_time))


def _provision_interruptibly(environment: Any) -> None:
    """Provision in init; Ctrl-C (SIGINT, or SIGTERM from `authload run`) reports and cleans up."""
    stopping = stopping_of(environment)
    # Locust installs its own SIGTERM handler later. Ours stays on through the report and the
    # cleanup: a second signal then hurries them instead of killing the process mid-write.
    watcher = gevent.signal_handler(signal.SIGTERM, stopping.request)
    try:
        _provision_pool(environment, stopping.stop)
        if stopping.stop.is_set():
            state_of(environment).interrupted = True
            log.error("interrupted while provisioning")
            try:
                _report(environment)
                _clean_up(environment)
            finally:
                stopping.finished.set()
            raise SystemExit(EXIT_RUN_ERROR)
    finally:
        watcher.cancel()


def _provision_pool(environment: Any, cancel: Event | None = None) -> None:
    """Create the scenario's users and tokens; a pool nobody could be provisioned for is fatal."""
    state = state_of(environment)
    assert state.plan is not None
    state.fatal = None
    if not state.plan.scenario.uses_pool():
        state.pool = []
        return
    outcome = provision(state.plan.scenario.identities, state.plan.target, cancel, state.journal())
    state.provisioned = outcome.created + outcome.unsettled  # unsettled: the answer was lost
    state.provisioning_requests = outcome.requests
    state.pool = sorted(outcome.identities, key=lambda identity: identity.uid)
    log.info("provisioned %d identities (%d new)", len(state.pool), len(outcome.created))
    if outcome.errors:
        codes = ", ".join(f"{code} x{n}" for code, n in outcome.errors.most_common())
        log.error("provisioning failed for some identities: %s", codes)
        if not state.pool:
            state.fatal = f"could not provision any identity ({codes})"


def on_test_start(environment: Any, **_: Any) -> None:
    """Hand the identity pool out (provisioning it first if init did not); then the load may start."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        return
    state = state_of(environment)
    if not environment.parsed_options.headless and id(environment) not in _prepared:
        # A start not made through the form's gate (`_webui`): prepare it here, or refuse it
        # (StopTest ends `runner.start` before a single user spawns).
        try:
            prepare_start(environment)
        except AuthloadError as error:
            raise StopTest(str(error)) from None
    _prepared.discard(id(environment))
    if state.plan is None:
        return
    state.recorder.reset()
    stopping_of(environment).new_test()
    state.started_at, state.stopped_at, state.interrupted, state.reported = time.time(), 0.0, False, False
    if state.pool is None:
        _provision_pool(environment)
    if state.fatal:
        _fail(environment, state.fatal)
    elif isinstance(runner, MasterRunner):
        distributed.send_plans(runner, state.plan, state.pool or [])
    else:
        state.set_identities(state.pool or [])


def prepare_start(environment: Any) -> None:
    """Web UI: each start is a new run (its own id, folder and identities) from the form's files.

    Reads, validates and provisions before anything spawns; an error (file:line) is raised,
    recorded in `refused` for the UI, and leaves no plan behind, so nothing stale can run.
    """
    state = state_of(environment)
    options = environment.parsed_options
    state.plan, state.pool, state.fatal = None, None, None
    _prepared.discard(id(environment))
    try:
        options.run_id = new_run_id()
        state.plan = _build_plan(environment, options)
        _provision_pool(environment)
        if state.fatal:
            raise RunError(state.fatal)
    except AuthloadError as error:
        state.plan, state.pool, state.fatal = None, None, None
        refused[environment] = str(error)
        log.error("start refused: %s", error)
        raise
    refused.pop(environment, None)
    _prepared.add(id(environment))


def _fail(environment: Any, reason: str) -> None:
    """The run cannot go on: report now (nothing was measured), then quit."""
    state_of(environment).fatal = reason
    log.error("%s", reason)
    _report(environment)
    gevent.spawn_later(0, environment.runner.quit)


def on_test_stop(environment: Any, **_: Any) -> None:
    """Report (cleanup is not part of the figures) and clean up; a worker cleans up first,
    so the master, which waits for its final word, never quits while it still deletes."""
    state = state_of(environment)
    if state.plan is None:
        return
    state.stopped_at = state.stopped_at or time.time()
    if isinstance(environment.runner, WorkerRunner):
        _clean_up(environment)
        distributed.send_final_stats(environment)
        return
    try:
        if not state.reported and state.started_at:  # a web UI quit before any start: nothing to report
            if isinstance(environment.runner, MasterRunner):
                distributed.wait_for_workers(environment)
            _report(environment)
        _clean_up(environment)
    finally:
        stopping_of(environment).finished.set()


def _clean_up(environment: Any) -> None:
    """Delete what this process created (the pool, users flows left behind) and record what is
    left in the ledger and summary.json; stopped without waiting, it deletes nothing."""
    state = state_of(environment)
    assert state.plan is not None
    clean_up(state, hurry=stopping_of(environment).hurry.is_set())


def _report(environment: Any) -> None:
    stopping = stopping_of(environment)
    stopping.reporting.set()
    _write_reports(environment, hurry=stopping.hurry.is_set())


def _write_reports(environment: Any, *, hurry: bool) -> None:
    state = state_of(environment)
    assert state.plan is not None
    state.reported = True
    if getattr(environment.parsed_options, "csv_prefix", None) and not state.fatal and not hurry:
        # Locust's CSV writer runs every CSV_STATS_INTERVAL_SEC; let it write the final
        # figures once more, so its CSV and our summary count the same requests.
        gevent.sleep(locust_stats.CSV_STATS_INTERVAL_SEC + 0.1)
    summary = build_summary(state)
    summary.files["html"] = "report.html"
    csv_prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if csv_prefix and Path(csv_prefix).parent.resolve() == state.plan.report_dir.resolve():
        summary.files["locust_csv"] = f"{Path(csv_prefix).name}_stats.csv"
    inputs = report_inputs(environment.parsed_options, state, summary)
    path = write_reports(summary, state.plan.report_dir, state.plan.secrets, **inputs)
    environment.process_exit_code = summary.exit_code
    # Locust writes its HTML only when its main loop ends normally; on SIGTERM (how `authload run`
    # passes on Ctrl-C) it would be lost. With --html, Locust rewrites its own file at exit.
    html = get_html_report(environment, show_download_link=False)
    (state.plan.report_dir / "report.html").write_text(Redactor(state.plan.secrets)(html), encoding="utf-8")
    print("\n" + Redactor(state.plan.secrets)(console_table(summary)), flush=True)
    print(f"authload: reports in {path.parent}", flush=True)


def on_quitting(environment: Any, **_: Any) -> None:
    """Ctrl-C lands here with the test still running: stop it so reports get written.

    Locust shuts down again on a second SIGTERM; that shutdown waits here for the
    summary the first one is writing (hurried), so the process never exits mid-report.
    """
    stopping = stopping_of(environment)
    if stopping.reporting.is_set() and not stopping.finished.is_set():
        stopping.hurry_up()
        stopping.finished.wait(timeout=environment.stop_timeout or CYCLE_STOP_TIMEOUT)
        return
    stopping.request()
    runner = environment.runner
    if runner.state not in (STATE_INIT, STATE_STOPPED):
        state_of(environment).interrupted = True
        if isinstance(runner, MasterRunner):
            # Not runner.stop(): Locust's workers then sleep a whole stop timeout before they
            # listen again, and the quit that follows would wait for them. The flush message
            # stops their users and brings their figures without that pause.
            on_test_stop(environment)
        else:
            runner.stop()
    mock = _mocks.pop(id(environment), None)
    if mock is not None:
        mock.stop()


def register(events: Any) -> None:
    """Attach the listeners that exist before a runner does; called once by the locustfile."""
    events.init.add_listener(on_init)
    events.test_start.add_listener(on_test_start)
    events.test_stop.add_listener(on_test_stop)
