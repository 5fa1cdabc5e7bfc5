"""The Locust user that runs a scenario's flows and reports steps and cycles.

Each virtual user is one simulated client app (`VirtualUser`); its one task
runs cycle after cycle. A cycle: pick a flow by weight, take an identity, run
the steps. A cycle stops
at its first failed step; its time is the sum of its steps, pauses excluded,
so a cycle threshold measures the auth work, not the think time.

What is counted where: each HTTP request (and real-time connect) a step sent is
one Locust request (type: its method; name: the step, or `step [label]` for a
step that sends several, e.g. `login_auth_key [mint]`), so Locust's views count
what the backend received; authload records it by endpoint too (`http`). Each
step and each cycle as a whole is authload's own figure (kinds `step`, `cycle`).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import User, constant, task

from ... import protocol as p
from ...common import ApiError, BackendError, ProtocolError
from ...protocol._http_step import HttpSpec
from ...protocol._realtime import RealtimePlan
from ...protocol._steps import Credentials, Identity, VirtualUser
from ...report import (
    CORRECTNESS,
    CYCLE,
    HTTP,
    OUTCOME_ERROR,
    RETRIED,
    SKIPPED,
    STEP,
    UNFINISHED,
    Outcome,
    failure_code,
    judge,
)
from ...scenario import LOCAL_STEPS, PAUSE, Flow, Step
from .. import _compat
from ._driver import FastDriver, tls_context
from ._realtime import CONNECT_REALTIME, RealtimeLink

log = logging.getLogger("authload")
LOGOUT = "logout"
WS = "WS"  # a real-time connect's "method" in Locust's rows and the `http` figures


class StepFailed(Exception):
    """What Locust is told of a failed step: its code, nothing more.

    Locust groups failures by `repr` and writes them to its CSV, HTML and web UI;
    an exception's own message may quote a header value, a key or a token.
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __repr__(self) -> str:
        return self.code


def _internal_error(error: Exception, logged: set[str]) -> Exception:
    """An unexpected exception inside a step: counted (as INTERNAL_<type>) and logged once a run."""
    kind = type(error).__name__
    if kind not in logged:
        logged.add(kind)
        log.error("authload internal error in a step, counted as INTERNAL_%s", kind, exc_info=error)
    return error


class AuthFlowUser(User):
    """Runs the flows of the scenario given by `--scenario` against `--env`.

    Locust spawns the subclass its `Run` binds (`authload_run`); `recorder` is the run's, or, for a
    pooled user of the open model, one that records intended starts too (`_arrivals`)."""

    wait_time = constant(0)  # think time is the scenario's `pause` steps
    authload_run: Any  # the Run this class is bound to (`run._run._bound`)

    def on_start(self) -> None:
        run = self.authload_run
        self.recorder = getattr(self, "recorder", None) or run.recorder
        plan = run.plan
        if plan is None or run.fatal:  # the run is being torn down
            self.stop()
            return
        target = plan.target
        self.driver = FastDriver.for_target(target, traffic=run.traffic)
        credentials = Credentials(target.rest_api_key, target.auth_key)
        # One `created` set per process: whatever flows leave behind is deleted at test_stop.
        self.last_new_uid = ""
        self.virtual_user = VirtualUser(
            p.App(target.app_id),
            credentials,
            self._new_uid,
            created=run.users.created,
            app_headers=target.app_headers,
        )
        self.virtual_user.realtime_secure = target.client_base_url.startswith("https:")
        self.realtime = RealtimeLink(target.timeout, tls_context(target))
        self.client_host = urlsplit(target.client_base_url).netloc
        flows = plan.scenario.flows
        self.http_specs: dict[str, HttpSpec] = {s.name: s.spec() for s in plan.scenario.http_steps()}
        self.retry = plan.scenario.retry
        self.rows: dict[tuple[str, str | None], str] = {}  # (step, label) -> Locust's row name
        self.endpoints: dict[tuple[str, str, str], str] = {}  # (method, host, route) -> `http` entry
        self.flow_names = [name for name, flow in flows.items() if flow.weight > 0]
        self.flow_weights = [flows[name].weight for name in self.flow_names]
        self.flows = flows
        self.contexts = {name: {"flow": name} for name in flows}  # one dict per flow, not per event
        self.needs_pool = {name: flow.needs_pool for name, flow in flows.items()}

    def on_stop(self) -> None:
        realtime = getattr(self, "realtime", None)
        if realtime is not None:
            realtime.close()
        driver = getattr(self, "driver", None)
        if driver is not None:
            driver.close()

    @task
    def cycles(self) -> None:
        """Cycle after cycle in one task, until Locust asks the user to stop. Between tasks Locust
        marks a user WAITING and a stop kills it there at once; that kill can land in the first
        request of the cycle that starts next (an UNFINISHED error, after the run was over). In
        one task the user stays RUNNING, so every stop is the graceful one: the cycle in progress
        ends (within the stop timeout), then the user stops."""
        while not _compat.stop_asked(self):
            self.cycle()
            gevent.sleep(0)  # (as Locust's wait between tasks: a cycle that sent nothing yields too)

    def cycle(self) -> None:
        """One cycle: a flow picked by weight, with an identity from the pool if it needs one."""
        names = self.flow_names
        name = names[0] if len(names) == 1 else random.choices(names, self.flow_weights)[0]
        flow = self.flows[name]
        identity, owned = self.authload_run.identities.take() if self.needs_pool[name] else (None, False)
        try:
            self._run_cycle(name, flow, identity)
        finally:
            self.realtime.close()  # a cycle's real-time connection lasts until its logout or its end
            if owned and identity is not None:
                self.authload_run.identities.give_back(identity)

    def _new_uid(self) -> str:
        self.last_new_uid = self.authload_run.new_uid()  # in the ledger now, before the request
        return self.last_new_uid

    def _settle_create(self, failure: Exception | None) -> None:
        """The answer to a sign-up is in: the uid is no longer in doubt unless it was lost or a 5xx.
        Created, it is in `created`; refused (a 4xx), there is no user."""
        status = failure.status if isinstance(failure, ApiError | ProtocolError) else 0
        if failure is None or 400 <= status < 500:
            self.authload_run.users.unsettled.discard(self.last_new_uid)

    def _run_cycle(self, name: str, flow: Flow, identity: Identity | None) -> None:
        """One cycle of a flow. Steps on the wire go to Locust's `request` event (its views count
        what reached the backend); the cycle and local steps go to authload's recorder only."""
        self.virtual_user.begin_cycle(identity)
        record = self.recorder.record
        context = self.contexts[name]
        total_ms = 0.0
        failure: Exception | None = None
        for step in flow.steps:
            if step.name == PAUSE and step.pause is not None:
                gevent.sleep(random.uniform(*step.pause))
                continue
            started, sent_before = time.perf_counter(), self.driver.sent
            opened_before, signup_before = self.driver.connections_opened, self.last_new_uid
            failure = None
            try:
                self._run_patiently(step, context)
            except BackendError as error:
                failure = error
            except gevent.GreenletExit:  # stopped mid-step: its requests count, as UNFINISHED
                self._unfinished(step.name, name, started, total_ms, context)
                raise
            except Exception as error:  # a harness bug: count it, log it once, never hide it
                failure = _internal_error(error, self.authload_run.logged_internal)
            elapsed_ms = (time.perf_counter() - started) * 1000
            total_ms += elapsed_ms
            sent = self.driver.sent != sent_before or bool(self.driver.log)
            outcome = judge(step.expect, failure, failure_code(failure), sent or step.name in LOCAL_STEPS)
            self._report(step.name, outcome, elapsed_ms, context)
            opened = self.driver.connections_opened - opened_before
            if opened:  # a (re)connect: the backend closed an idle connection, or the first step
                self.recorder.connections(step.name, opened)
            if self.last_new_uid != signup_before:  # the step signed a user up
                self._settle_create(failure)
            if outcome.kind in (OUTCOME_ERROR, CORRECTNESS):
                code = outcome.code
                break
        else:
            code = None
        record(CYCLE, name, total_ms, code)

    def _report(self, name: str, outcome: Outcome, elapsed_ms: float, context: dict[str, str]) -> None:
        """The step as a whole to authload's recorder; each request it sent to Locust's `request`
        event and, by endpoint, to the recorder (the failing one, the last, with the step's code)."""
        record = self.recorder.record
        if outcome.kind == SKIPPED:
            record(SKIPPED, name, elapsed_ms, None)
        else:
            record(STEP, name, elapsed_ms, outcome.code if outcome.kind == OUTCOME_ERROR else None)
        if outcome.kind == CORRECTNESS:
            record(CORRECTNESS, name, elapsed_ms, outcome.code)
        self._report_requests(name, outcome.code if outcome.kind == OUTCOME_ERROR else None, context)

    def _report_requests(self, name: str, failing: str | None, context: dict[str, str]) -> None:
        """Each request the driver logged since the last report: to Locust's `request` event and,
        by endpoint, to the recorder; the last one fails with `failing` when given."""
        sent, record = self.driver.log, self.recorder.record
        if not sent:
            return
        fire, last = self.environment.events.request.fire, len(sent) - 1
        for index, (request, _, milliseconds, length) in enumerate(sent):
            code = failing if index == last else None
            fire(
                request_type=request.method,
                name=self._row(name, request.label),
                response_time=milliseconds,
                response_length=length,
                exception=StepFailed(code) if code is not None else None,
                context=context,
            )
            record(
                HTTP,
                self._endpoint(request.method, request.host, request.route or request.path),
                milliseconds,
                code,
            )
        sent.clear()

    def _row(self, step: str, label: str | None) -> str:
        row = self.rows.get((step, label))
        if row is None:
            row = self.rows[(step, label)] = step if label is None else f"{step} [{label}]"
        return row

    def _endpoint(self, method: str, host: str, route: str) -> str:
        key = (method, host, route)
        entry = self.endpoints.get(key)
        if entry is None:
            entry = self.endpoints[key] = f"{method} {host} {route}"
        return entry

    def _run_patiently(self, step: Step, context: dict[str, str]) -> None:
        """Run a step; with the scenario's `retry`, a throttled attempt (429) is reported, waited
        out (Retry-After) and tried again, as an app would, `max_attempts` times in all."""
        retry = self.retry
        attempt = 1
        while True:
            try:
                self._run_step(step)
                return
            except (ApiError, ProtocolError) as error:
                if retry is None or attempt >= retry.max_attempts or error.status not in retry.on:
                    raise
                self._report_requests(step.name, failure_code(error), context)
                self.recorder.record(RETRIED, step.name, 0.0, None)
                honoured = (
                    error.retry_after if isinstance(error, ApiError) and retry.honour_retry_after else None
                )
                gevent.sleep(min(honoured or 1.0, retry.max_wait))
                attempt += 1

    def _unfinished(
        self, step: str, flow: str, started: float, total_ms: float, context: dict[str, str]
    ) -> None:
        """The run stopped this cycle mid-step: the step and its requests (the one in flight
        included) fail as UNFINISHED, and the cycle too, so nothing the backend saw vanishes."""
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._report(step, Outcome(OUTCOME_ERROR, UNFINISHED), elapsed_ms, context)
        self.recorder.record(CYCLE, flow, total_ms + elapsed_ms, UNFINISHED)

    def _run_step(self, step: Step) -> None:
        """Run one step; what it sends is in the driver's log (a real-time connect too)."""
        name = step.name
        if step.http is not None:
            self.driver.run(self.virtual_user.http(self.http_specs[name]))
        elif name == LOGOUT:
            try:
                self.driver.run(self.virtual_user.logout())
            finally:
                self.realtime.close()  # as the SDK's logout(): code 1000, "User logged out"
        else:
            result = self.driver.run(self.virtual_user.step(name))
            if name == CONNECT_REALTIME and isinstance(result, RealtimePlan):
                self._connect(result)

    def _connect(self, plan: RealtimePlan) -> None:
        """Open the real-time socket, logged as one request (the upgrade the backend counts)."""
        url = plan.url
        where = f"{url.host}:{url.port}"
        host = "client" if where == self.client_host else url.host
        request = p.Request(WS, host, "/", {}, route="/", label="socket")
        started, status = time.perf_counter(), 0
        try:
            self.realtime.open(plan)
            status = 101
        finally:
            self.driver.log.append((request, status, (time.perf_counter() - started) * 1000, 0))
