"""Provisioning and cleanup in a Locust process: the pool's work (`authload.pool`) on greenlets,
over the load path's own driver (so it verifies TLS and counts its requests the same way)."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import gevent
from gevent.event import Event
from gevent.pool import Pool

from ... import pool
from ...common import EXIT_RUN_ERROR
from ...protocol import App
from ...report import CLEANUP, Progress
from ...scenario import Identities, Target
from ..load._driver import FastDriver

T = TypeVar("T")
log = logging.getLogger("authload")


LOCAL, MASTER, WORKER = "local", "master", "worker"  # a process's role in its run


def on_greenlets(
    work: Callable[[T], None], items: Iterable[T], concurrency: int, cancel: pool.Cancel | None
) -> None:
    """`pool.ForEach` on greenlets: `concurrency` calls in flight at most; a set `cancel`, or
    Ctrl-C, ends it early (what is in flight is killed)."""
    cancel = cancel or Event()
    greenlets = Pool(concurrency)
    try:
        for item in items:
            if cancel.is_set():
                break
            greenlets.spawn(work, item)  # waits for a free slot
        while not greenlets.join(timeout=0.2):
            if cancel.is_set():
                break
    except KeyboardInterrupt:
        if isinstance(cancel, Event):
            cancel.set()
        greenlets.kill()
        return
    if cancel.is_set():
        greenlets.kill()


def provision(
    spec: Identities,
    target: Target,
    progress: Progress,
    cancel: Event | None,
    ledger: pool.LedgerWriter | None,
) -> pool.Outcome:
    """Create the pool's users and mint their tokens (`pool.provision`) on greenlets."""
    driver = FastDriver.for_target(target, spec.concurrency)
    try:
        return pool.provision(
            spec, target, driver, on_greenlets, gevent.sleep, progress, cancel=cancel, ledger=ledger
        )
    finally:
        driver.close()


def provision_pool(run: Any, cancel: Event | None) -> None:
    """Create the scenario's users and tokens; a pool nobody could be provisioned for is fatal."""
    plan = run.plan
    run.fatal = None
    if not plan.scenario.uses_pool():
        run.identities.set([])
        return
    ledger = run.users.journal(plan.report_dir, plan.ledger_head())
    outcome = provision(plan.scenario.identities, plan.target, run.progress, cancel, ledger)
    run.users.provisioned = outcome.created + outcome.unsettled  # unsettled: the answer was lost
    run.users.provisioning_requests = outcome.requests
    run.identities.set(sorted(outcome.identities, key=lambda identity: identity.uid))
    log.info("provisioned %d identities (%d new)", len(outcome.identities), len(outcome.created))
    if outcome.errors:
        codes = pool.codes(outcome.errors.elements())
        log.error("provisioning failed for some identities: %s", codes)
        if not outcome.identities:
            run.fatal = f"could not provision any identity ({codes})"


def provision_interruptibly(run: Any) -> None:
    """Provision in init; Ctrl-C (SIGINT, or SIGTERM from `authload run`) reports and cleans up."""
    stopping = run.stopping
    # Locust installs its own SIGTERM handler later. Ours stays on through the report and the
    # cleanup: a second signal then hurries them instead of killing the process mid-write.
    watcher = gevent.signal_handler(signal.SIGTERM, stopping.request)
    try:
        run.provision(stopping.stop)
        if stopping.stop.is_set():
            run.interrupted = True
            log.error("interrupted while provisioning")
            try:
                run.report()
                run.clean_up()
            finally:
                stopping.finished.set()
            raise SystemExit(EXIT_RUN_ERROR)
    finally:
        watcher.cancel()


def clean_up(run: Any) -> None:
    """The end of a process's users (`pool.settle`), and, on the master once the summary is
    written, their outcome in it (`pool.record`)."""
    plan = run.plan
    spec = plan.scenario.identities
    left, requests, recorded = pool.settle(
        run.users,
        keep=spec.cleanup != "delete",
        hurry=run.stopping.hurry.is_set(),
        delete=deleter(plan.target, spec.concurrency, run.progress),
        folder=plan.report_dir,
        head=plan.ledger_head(),
    )
    if spec.cleanup == "delete":
        run.identities.clear()  # deleted: a next test (web UI) provisions afresh
    run.recorder.phase_requests[CLEANUP] += requests  # a worker ships it with its last figures
    if left and not run.reported:  # a worker: the master's summary and console cover it
        log.warning("cleanup left %d users behind (%s)", len(left), pool.codes(left.values()))
    if run.reported:
        total = run.recorder.phase_requests[CLEANUP]
        pool.record(plan.report_dir, plan.run_id, plan.secrets, total, recorded=recorded)


def deleter(target: Target, concurrency: int, progress: Progress) -> pool.Delete:
    """What deletes a process's users at the end of its run: `pool.delete_all` on greenlets."""

    def delete(uids: list[str]) -> tuple[dict[str, str], int]:
        driver = FastDriver.for_target(target, concurrency)
        try:
            app = App(target.app_id)
            left = pool.delete_all(
                uids, app, target.rest_api_key, driver.run, on_greenlets, concurrency, gevent.sleep, progress
            )
            return left, driver.sent
        finally:
            driver.close()

    return delete


def measure_later(run: Any, origin: float) -> None:
    """With `--measure-from S`: the figures start S seconds into the run (on the run's clock,
    `origin`), after a settle they leave out (a capacity probe's). Each process begins its
    epoch then; the master, which records nothing itself, takes no worker figures of an earlier
    one (and so keeps any of a worker whose epoch began a moment before its own)."""
    settle = float(getattr(run.options, "measure_from", "") or 0)
    if settle <= 0:
        return
    if run.role == MASTER:
        run.recorder.wanted_epoch = 1
    gevent.spawn_later(max(0.0, origin + settle - time.monotonic()), run.measure_from_now)
