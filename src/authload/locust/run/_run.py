"""One run, one object: `Run` owns a Locust process's part of a run, its state and its phases.

Locust's events reach it through thin adapters (`authload.locust._hooks`), one per event:

| phase            | local or master process                                 | worker                  |
|------------------|---------------------------------------------------------|-------------------------|
| `prepare`        | init: read the files (exit 2 on a bad one), start the   | -                       |
|                  | embedded mock, check TLS; headless: provision now       |                         |
| `start_from_form`| web UI: a start from the form (read, check, provision,  | -                       |
|                  | pick the load shape), or its refusal with file:line     |                         |
| `start`          | test_start: hand the identities out (to workers:        | -                       |
|                  | sealed plans)                                           |                         |
| `receive_plan`   | -                                                       | the master's sealed plan|
| `stop`           | test_stop: wait for workers' figures; report; clean up  | clean up, then send the |
|                  |                                                         | last figures            |
| `quit`           | quitting: stop a still-running test (Ctrl-C), stop mock | -                       |

Nothing about a run lives anywhere else: no module-level state, nothing looked up by
environment. A web UI start is a new run in the same object (its own id, folder, ledger
and identities), prepared in one place, `start_from_form`.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from typing import Any

import gevent
from gevent.event import Event
from locust.runners import STATE_INIT, STATE_STOPPED, MasterRunner, WorkerRunner

from ... import pool
from ...common import AuthloadError, RunError
from ...common._lifeline import die_with_launcher, die_with_parent
from ...common._redact import redact_logs
from ...common._run_id import new_run_id
from ...mock import MockProcess
from ...protocol._steps import Identity
from ...report import Progress, Recorder, RunFacts
from ...scenario import Load
from .. import _compat
from ..distributed import _messages as distributed
from ..distributed._membership import WorkerBook
from ..distributed._runkey import RunKey
from ..load._shape import ScenarioShape, needs_shape
from ..load._traffic import StallWatch, Traffic
from ._live import local_users
from ._plan import Files, Plan, apply_scenario_defaults, build_plan
from ._reporting import described_load, show_run_progress, start_recording, write_run_reports
from ._setup import LOCAL, MASTER, WORKER, clean_up, measure_later, provision_interruptibly, provision_pool
from ._stopping import Stopping

log = logging.getLogger("authload")
CYCLE_STOP_TIMEOUT = 30.0  # seconds; overridden by Locust's --stop-timeout


class Run:
    """A Locust process's part of a run: its plan, identities, users, figures and phases."""

    def __init__(self, environment: Any, runner: Any, *, user_classes: dict[str, type[Any]]) -> None:
        self.environment, self.runner = environment, runner
        self.options = environment.parsed_options
        self.role = (
            WORKER
            if isinstance(runner, WorkerRunner)
            else MASTER
            if isinstance(runner, MasterRunner)
            else LOCAL
        )
        self.files = Files(self.options)
        self.plan: Plan | None = None
        self.recorder = Recorder()
        self.identities = pool.IdentityPool()
        self.users = pool.UserBook()
        self.progress = Progress(gevent.spawn, gevent.sleep, shown=self.role != WORKER)
        self.stopping = Stopping()
        # workers: this process's index among them, their count, the run's second 0 (monotonic)
        self.worker_index, self.worker_count = 0, 1
        self.origin: float | None = None
        # the master: workers given a plan, those that sent their last figures, those lost (when)
        self.expected_workers: set[str] = set()
        self.finished_workers: set[str] = set()
        self.lost_workers: dict[str, float] = {}
        self.run_key: RunKey | None = None  # distributed runs only (see `distributed._runkey`)
        self.book = WorkerBook()
        self.started_at = self.stopped_at = 0.0
        self.fatal: str | None = None
        self.interrupted = self.reported = False  # reported: this test's summary is written
        self.mock: MockProcess | None = None  # the embedded mock, while one runs
        self.prepared = False  # web UI: the form's start was prepared (`start_from_form`)
        self.refused: str | None = None  # web UI: why the last start was refused
        self.started_runs: set[str] = set()  # web UI: run ids started here (their files are served)
        self.arrivals: Any = None  # the open model's scheduler in this process, while it runs
        self.traffic = Traffic()  # every driver's requests in flight and answers: stalls are watched
        self._stall_watch: tuple[StallWatch, Any] | None = None  # the watch and its greenlet
        self.logged_internal: set[str] = set()  # kinds of harness bug logged already (once each)
        # Locust's users and shape, bound to this run (Locust spawns them by class name).
        self.user_class = _bound(user_classes["AuthFlowUser"], self)
        self.arrival_class = _bound(user_classes["ArrivalUser"], self)
        self.shape = ScenarioShape(self)
        self.recorder.users_now = lambda: local_users(self)
        self.metrics: Any = None  # the live metrics endpoint, when --metrics-port asks for one

    # -- init ------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Locust's `init`: tie this process to its parent, and (not on a worker) read the files,
        get the backend ready and, headless, provision before the run-time clock starts."""
        self._tie_to_parent()
        start_recording(self)
        # Everything imported so far lives for the whole run: keep it out of the cyclic GC's
        # scans, which otherwise cost a load process several percent of its requests.
        gc.freeze()
        if self.role == WORKER:
            self.environment.user_classes = [self.user_class, self.arrival_class]
            return
        try:
            self.plan = self._build_plan()
        except AuthloadError as error:
            print(f"authload: {error}", file=sys.stderr)
            raise SystemExit(error.exit_code) from None
        apply_scenario_defaults(self.options, self.plan)
        self.use_shape_for(self.plan.scenario.load)
        if not self.environment.stop_timeout:
            # Let in-flight cycles finish when the run stops: a request the backend saw but the
            # report lost would make the figures disagree with the backend's own counts.
            self.environment.stop_timeout = CYCLE_STOP_TIMEOUT
        if self.options.headless:
            self._provision_interruptibly()

    def _tie_to_parent(self) -> None:
        """No process of a run outlives the one that started it (kill -9 included): it stops."""
        if self.role == WORKER and getattr(self.options, "processes", None):
            die_with_parent(os.getppid())  # forked by the --processes master
        else:
            die_with_launcher()  # `authload run`, when it started us

    def _build_plan(self) -> Plan:
        plan, self.mock = build_plan(self.files, self.options, self.environment, self.mock)
        redact_logs(plan.secrets)
        return plan

    def use_shape_for(self, load: Load) -> None:
        """Install the shape (and the user class it spawns) when `load` needs it, else remove it,
        so Locust's plain `-u/-r/-t` path runs unchanged (see `load._shape`)."""
        if needs_shape(load):
            self.environment.shape_class = self.shape
            self.environment.user_classes = [self.arrival_class if load.open_model else self.user_class]
        else:
            self.environment.shape_class = None
            self.environment.user_classes = [self.user_class]

    # -- provisioning ----------------------------------------------------------------------------

    def _provision_interruptibly(self) -> None:
        """Provision in init; Ctrl-C (SIGINT, or SIGTERM from `authload run`) reports, cleans up
        and ends the process (exit 3)."""
        provision_interruptibly(self)

    def provision(self, cancel: Event | None = None) -> None:
        """Create the scenario's users and tokens; a pool nobody could be provisioned for is fatal."""
        provision_pool(self, cancel)

    # -- starting --------------------------------------------------------------------------------

    def start_from_form(self, form: Any) -> str | None:
        """The web UI's one entry for a start from the form: its files are read, checked and
        provisioned, and the load shape picked, before Locust starts a single user. Returns
        why it is refused (file:line), or None."""
        if self.runner.state not in (STATE_INIT, STATE_STOPPED):
            # Locust's "edit" of a running test changes the user count only.
            asked = (form.get("scenario", self.files.scenario), form.get("env", self.files.env))
            if self.plan is not None and asked != self.plan.options_key:
                return self._refuse("stop the running test before starting another scenario or env")
            return None
        for name in ("scenario", "env"):
            if form.get(name, "").strip():
                setattr(self.files, name, form[name].strip())
        if "allow_auth_key" in form:
            self.files.allow_auth_key = form["allow_auth_key"] == "true"
        try:
            self.prepare_start()
        except AuthloadError:
            return self.refused or "start refused"
        return None

    def _refuse(self, message: str) -> str:
        self.refused = message
        return message

    def prepare_start(self) -> None:
        """Each web UI start is a new run (its own id, folder and identities): read, checked and
        provisioned before anything spawns; an error (file:line) is raised, kept in `refused`
        for the UI, and leaves no plan behind, so nothing stale can run."""
        self.plan, self.fatal, self.prepared = None, None, False
        self.identities.clear()
        try:
            self.options.run_id = new_run_id()
            self.plan = self._build_plan()
            self.use_shape_for(self.plan.scenario.load)
            self.provision()
            if self.fatal:
                raise RunError(self.fatal)
        except AuthloadError as error:
            self.plan, self.fatal = None, None
            self.identities.clear()
            self._refuse(str(error))
            log.error("start refused: %s", error)
            raise
        self.refused, self.prepared = None, True

    def start(self) -> None:
        """Locust's `test_start` (master or only process): hand the identities out; a start that
        did not come through the form's gate is prepared here, or refused before users spawn."""
        if self.role == WORKER:
            return
        if not self.options.headless and not self.prepared:
            try:
                self.prepare_start()
            except AuthloadError as error:
                raise _compat.StopTest(str(error)) from None
        self.prepared = False
        if self.plan is None:
            return
        self.started_runs.add(self.plan.run_id)
        self.recorder.reset()
        self.stopping.new_test()
        self.started_at, self.stopped_at, self.interrupted, self.reported = time.time(), 0.0, False, False
        show_run_progress(self)
        self._watch_stalls()
        measure_later(self, time.monotonic())
        if self.identities.all is None:
            self.provision()
        if self.fatal:
            self._fail(self.fatal)
        elif self.role == MASTER:
            distributed.send_plans(self)
        # the only process serves its identities itself (a master only shares them out)

    def receive_plan(
        self, plan: Plan, index: int, count: int, elapsed: float, identities: list[Identity]
    ) -> None:
        """A worker's plan from the master: its index among `count` workers, how far into the run
        it was sent (`elapsed`: the run's clock, however late Locust spawns here), its share."""
        self.plan = plan
        redact_logs(plan.secrets)
        self.worker_index, self.worker_count = index, count
        self.origin = time.monotonic() - elapsed  # durations only: host clocks need not agree
        self.identities.set(identities)
        self.recorder.stalls = []
        self._watch_stalls()
        measure_later(self, self.origin)

    def measure_from_now(self) -> None:
        """The settle is over (`--measure-from`): the figures, stalls and clock start now."""
        if self.role != MASTER:  # the master took no earlier figures (and may hold later ones)
            self.recorder.begin_epoch(1)
        self.started_at = time.time()
        if self._stall_watch is not None:
            self._stall_watch[0].close()  # the settle's stalls are not the measured run's

    def _watch_stalls(self) -> None:
        """Watch this process's traffic for stalls from now on (`load._traffic`)."""
        self._end_stall_watch()
        watch = StallWatch(self.traffic, self._plan().scenario.load.stall_after)
        self._stall_watch = (watch, gevent.spawn(watch.loop, gevent.sleep))

    def _end_stall_watch(self) -> None:
        if self._stall_watch is not None:
            watch, greenlet = self._stall_watch
            greenlet.kill()
            self.recorder.stalls += watch.close()
            self._stall_watch = None

    def _fail(self, reason: str) -> None:
        """The run cannot go on: report now (nothing was measured), then quit."""
        self.fatal = reason
        log.error("%s", reason)
        self.report()
        gevent.spawn_later(0, self.runner.quit)

    # -- the users' side ---------------------------------------------------------------------------

    def new_uid(self) -> str:
        """A fresh uid for a sign-up, in the ledger before its create request goes out."""
        plan = self._plan()
        prefix = plan.scenario.identities.uid_prefix
        return self.users.new_uid(prefix, plan.run_id, self.worker_index, plan.ledger_head(), plan.report_dir)

    # -- stopping --------------------------------------------------------------------------------

    def stop(self) -> None:
        """Locust's `test_stop`: report (cleanup is not part of the figures), then clean up; a
        worker cleans up first, so the master, which waits for its final word, never quits while
        it still deletes."""
        if self.plan is None:
            return
        self.stopped_at = self.stopped_at or time.time()
        self._end_stall_watch()
        if self.role == WORKER:
            self.clean_up()
            distributed.send_final_stats(self)
            return
        try:
            if not self.reported and self.started_at:  # a web UI quit before any start: nothing to report
                if self.role == MASTER:
                    distributed.wait_for_workers(self)
                self.report()
            self.clean_up()
        finally:
            self.stopping.finished.set()

    def quit(self) -> None:
        """Locust's `quitting`: Ctrl-C lands here with the test still running; stop it so reports
        get written. Locust shuts down again on a second SIGTERM; that shutdown waits here for
        the summary the first one is writing (hurried), so the process never exits mid-report."""
        stopping = self.stopping
        if stopping.reporting.is_set() and not stopping.finished.is_set():
            stopping.hurry_up()
            stopping.finished.wait(timeout=self.environment.stop_timeout or CYCLE_STOP_TIMEOUT)
            return
        stopping.request()
        if self.runner.state not in (STATE_INIT, STATE_STOPPED):
            self.interrupted = True
            if self.role == MASTER:
                # Not runner.stop(): Locust's workers then sleep a whole stop timeout before they
                # listen again, and the quit that follows would wait for them. The flush message
                # stops their users and brings their figures without that pause.
                self.stop()
            else:
                self.runner.stop()
        if self.mock is not None:
            self.mock.stop()
            self.mock = None

    def hurry(self) -> None:
        """The second Ctrl-C (SIGUSR1): stop waiting, now (users still in a cycle are stopped)."""
        self.stopping.hurry_up()
        if self.runner is not None:
            self.environment.stop_timeout = 0
            _compat.kill_users(self.runner)

    # -- reporting and cleanup -------------------------------------------------------------------

    def facts(self) -> RunFacts:
        """What the summary is built from."""
        plan = self._plan()
        return RunFacts(
            run_id=plan.run_id,
            scenario=plan.scenario,
            scenario_file=plan.scenario_file,
            environment=plan.environment_name,
            backend=plan.backend,
            base_urls=plan.target.base_urls(),
            recorder=self.recorder,
            started_at=self.started_at,
            stopped_at=self.stopped_at,
            fatal=self.fatal,
            interrupted=self.interrupted,
            lost_workers=self.lost_workers,
            distributed=self.run_key is not None,
            rejected_workers=self.book.rejected | self.book.ignored_from,
            provisioning_requests=self.users.provisioning_requests,
            stalls=self.recorder.stalls,
            load=described_load(self),
        )

    def report(self) -> None:
        """Write this test's reports (summary.*, junit.xml, authload.html, report.html), print the
        table, set the exit code."""
        self.stopping.reporting.set()
        self.reported = True
        write_run_reports(self)

    def clean_up(self) -> None:
        """Delete what this process created (the pool, users flows left behind) and record what
        is left in the ledger and summary.json; stopped without waiting, it deletes nothing."""
        clean_up(self)

    def _plan(self) -> Plan:
        if self.plan is None:
            raise RunError("no plan: the run was not prepared")
        return self.plan


def _role(runner: Any) -> str:
    if isinstance(runner, WorkerRunner):
        return WORKER
    return MASTER if isinstance(runner, MasterRunner) else LOCAL


def _bound(user_class: type[Any], run: Run) -> type[Any]:
    """`user_class` bound to `run`: the class Locust spawns by the same name (workers too)."""
    return type(
        user_class.__name__, (user_class,), {"authload_run": run, "__module__": user_class.__module__}
    )
