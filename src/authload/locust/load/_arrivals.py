"""The open model in Locust: one scheduler per process starts cycles at the asked rate.

Locust has only a closed model (users loop). For an `arrival_rate` scenario each
process runs one `ArrivalUser`, whose task is the scheduler: it computes this
process's arrival times (its share of the rate, `scenario/_load.arrival_offsets`),
sleeps until each one and hands it to a free virtual user from a pool of at most
its share of `max_users`. Each virtual user is an `AuthFlowUser` that never runs
as a Locust user: the scheduler calls its cycle in a greenlet of its own, so the
flows, identities and reporting are the closed model's. The rate never depends on
latency: an arrival that finds no free user within `max_wait` is dropped.

Timing. An arrival's *intended start* is its scheduled time; its *actual start*
is when its cycle's greenlet begins (after the scheduler woke, the greenlet was
switched in, and any wait for a free user). `start delay = actual - intended`.
Every cycle and step is recorded twice: service time (from its actual start, as
in the closed model) and intended-start latency = service time + the cycle's
start delay (wrk2 and k6 measure from the intended send time; a step of a cycle
that started late is late by the same amount). The two differ only by the start
delay, which is large only when arrivals wait for a free user (`max_wait`) or the
load generator itself runs behind (CPU-bound, blocked).

Counts. Each arrival is recorded once per stage as kind `arrival`: its start
delay (or, dropped, how long it waited) with code `DROPPED` when dropped. These
ride in the recorder's signed figures to the master like any other entry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import gevent
from gevent.event import Event
from gevent.pool import Group
from gevent.queue import Empty, Queue
from locust import User, constant, task
from locust.exception import StopUser

from ...report import ARRIVAL, DROPPED, INTENDED_KINDS, Recorder
from ...scenario._load import arrival_offsets
from ._user import AuthFlowUser

log = logging.getLogger("authload")


class _IntendedRecorder:
    """What a pooled user records into: the run's recorder, plus the intended-start entry of every
    step and cycle recorded from a cycle greenlet whose start delay is known."""

    def __init__(self, recorder: Recorder, delays: dict[Any, float]) -> None:
        self._recorder, self._delays = recorder, delays

    def record(self, kind: str, name: str, response_time: float, error_code: str | None) -> None:
        self._recorder.record(kind, name, response_time, error_code)
        delay = self._delays.get(gevent.getcurrent())
        if delay is not None and kind in INTENDED_KINDS:
            self._recorder.record(INTENDED_KINDS[kind], name, response_time + delay, error_code)

    def connections(self, name: str, opened: int) -> None:
        self._recorder.connections(name, opened)


def share_of(total: int, index: int, count: int) -> int:
    """Process `index` of `count`'s part of `total` (the parts add up to it; at least 1)."""
    return max(1, total // count + (1 if index < total % count else 0))


class Arrivals:
    """One process's arrivals: its schedule, its pool of users, its waiting arrivals."""

    def __init__(self, environment: Any, run: Any) -> None:
        load = run.plan.scenario.load
        count, index = max(1, run.worker_count), run.worker_index
        self.environment, self.owner = environment, run
        self.offsets: Iterator[tuple[float, int]] = arrival_offsets(
            load.arrival_stages(), 1 / count, index / count
        )
        self.max_users = share_of(load.max_users or 1, index, count)
        self.max_wait = load.max_wait
        self.stop = Event()
        self.delays: dict[Any, float] = {}  # cycle greenlet -> its start delay (ms)
        self.recorder = _IntendedRecorder(run.recorder, self.delays)
        self.free: Queue[AuthFlowUser] = Queue()
        self.users: list[AuthFlowUser] = []
        self.waiting = 0  # arrivals waiting for a free user: new ones queue behind them
        self.cycles, self.waiters = Group(), Group()

    def run(self) -> None:
        """Start each arrival at its time until the schedule ends or the run stops; then let
        in-flight cycles finish (bounded by the stop timeout)."""
        origin = self.owner.origin or time.monotonic()  # a worker: the run's clock (see `distributed`)
        for offset, stage in self.offsets:
            intended = origin + offset
            ahead = intended - time.monotonic()
            if (ahead > 0 and self.stop.wait(ahead)) or self.stop.is_set():
                break
            self._arrive(intended, str(stage + 1))
        self.stop.wait()
        self.waiters.kill()  # arrivals still waiting never start: dropped
        self.cycles.join(timeout=self.environment.stop_timeout or None)
        self.cycles.kill()

    def _arrive(self, intended: float, stage: str) -> None:
        if not self.waiting:
            user = self._free_user()
            if user is not None:
                self.cycles.spawn(self._cycle, user, intended, stage)
                return
        if self.max_wait > 0:
            self.waiting += 1
            self.waiters.spawn(self._wait, intended, stage)
        else:
            self.owner.recorder.record(ARRIVAL, stage, 0.0, DROPPED)

    def _free_user(self) -> AuthFlowUser | None:
        try:
            user: AuthFlowUser = self.free.get_nowait()
            return user
        except Empty:
            pass
        if len(self.users) >= self.max_users:
            return None
        user = self.owner.user_class(self.environment)
        user.recorder = self.recorder  # its steps' intended starts too
        user.on_start()
        self.users.append(user)
        return user

    def _wait(self, intended: float, stage: str) -> None:
        """Wait (FIFO) for a free user until `max_wait` after the intended start, or drop."""
        try:
            user = self.free.get(timeout=max(0.0, intended + self.max_wait - time.monotonic()))
        except (Empty, gevent.GreenletExit):
            self.owner.recorder.record(ARRIVAL, stage, (time.monotonic() - intended) * 1000, DROPPED)
            return
        finally:
            self.waiting -= 1
        self._cycle(user, intended, stage)

    def _cycle(self, user: AuthFlowUser, intended: float, stage: str) -> None:
        current = gevent.getcurrent()
        delay_ms = max(0.0, (time.monotonic() - intended) * 1000)
        self.delays[current] = delay_ms
        self.owner.recorder.record(ARRIVAL, stage, delay_ms, None)
        try:
            user.cycle()
        except Exception:  # a harness bug outside a step (steps count their own): log, go on
            log.exception("authload internal error in an arrival's cycle")
        finally:
            del self.delays[current]
            self.free.put(user)

    def close(self) -> None:
        for user in self.users:
            user.on_stop()


class ArrivalUser(User):
    """Locust's only user in an open-model run (one per process): the arrival scheduler. Locust
    spawns the subclass its `Run` binds (`authload_run`); the scheduler running is the run's `arrivals`."""

    wait_time = constant(0)
    authload_run: Any  # the Run this class is bound to (`run._run._bound`)

    def on_start(self) -> None:
        run = self.authload_run
        self.arrivals: Arrivals | None = None
        if run.plan is None or run.fatal or run.arrivals is not None:
            return  # torn down, or another scheduler runs this process's share already
        self.arrivals = run.arrivals = Arrivals(self.environment, run)

    @task
    def schedule(self) -> None:
        arrivals = self.arrivals
        if arrivals is not None:
            try:
                arrivals.run()
            finally:
                arrivals.close()
                self.authload_run.arrivals = None
        raise StopUser

    def on_stop(self) -> None:
        arrivals = self.arrivals
        if arrivals is not None and self.authload_run.arrivals is arrivals:  # killed mid-run
            arrivals.stop.set()
            arrivals.waiters.kill()
            arrivals.cycles.kill()
            arrivals.close()
            self.authload_run.arrivals = None


def stop_arriving(run: Any) -> None:
    """Locust is stopping the run (`test_stopping`): the scheduler stops starting arrivals."""
    if run.arrivals is not None:
        run.arrivals.stop.set()


__all__ = ["ArrivalUser", "share_of", "stop_arriving"]
