"""Exact latency histograms and error codes per step and cycle, merged across workers.

Locust rounds response times in its own statistics; the summary's percentiles
come from these HDR histograms instead (microsecond resolution, 3 significant
digits). The user records each step and cycle as a whole (kinds `step`,
`cycle`), and each HTTP request by endpoint (kind `http`, named
`METHOD host route`), as Locust's `request` event counts them; requests sent
to provision the pool and to clean up are counted apart (`phase_requests`):
they are not load. A worker ships its figures with every stats report
(`report_to_master`) and the master adds them up (`worker_report`).

For the report's charts, latencies also go into the current interval's sparse
buckets when the pending counts are flushed (in bulk, not per request); every
`BASE_S` a ticker closes the interval into a bounded `Timeline` per entry, and
workers ship their closed intervals inside the same signed figures.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from hdrh.histogram import HdrHistogram

from ..protocol import wire
from ._timeseries import BASE_S, BUCKET_BITS, Slot, Timeline

# The recorder's kinds of entry: a step, a flow's cycle, an HTTP request by endpoint (as Locust
# counts them), a step that sent nothing, a correctness failure; in the open model an arrival
# (code DROPPED when dropped) and the intended-start twin of each step and cycle.
STEP, CYCLE, HTTP = "step", "cycle", "http"
SKIPPED, CORRECTNESS, RETRIED = "skipped", "correctness", "retried"
ARRIVAL, DROPPED = "arrival", "DROPPED"
UNFINISHED = "UNFINISHED"  # a request still in flight when the run stopped: a failure, never lost
# What a backend's throttling (HTTP 429) is counted under, whoever answered it.
THROTTLED_CODES = frozenset({wire.ERR_TOO_MANY_REQUESTS, "PROTOCOL_HTTP_429", "HTTP_429"})
INTENDED_KINDS = {STEP: "intended_step", CYCLE: "intended_cycle"}
PROVISIONING, CLEANUP = "provisioning", "cleanup"  # requests outside the load (`phase_requests`)
_MAX_MICROSECONDS = 3_600_000_000  # one hour: nothing in an auth flow should take longer
METRICS_KEY = "authload_metrics"
_PENDING_LIMIT = 20_000  # distinct latency values held before they go into the histogram


def failure_code(failure: BaseException | None) -> str | None:
    """How a failed step is counted: its error code, or `INTERNAL_<type>` for a harness bug."""
    if failure is None:
        return None
    return str(getattr(failure, "code", None) or f"INTERNAL_{type(failure).__name__}")


def _histogram() -> HdrHistogram:
    return HdrHistogram(1, _MAX_MICROSECONDS, 3)


class Series:
    """Latencies and failures of one entry (a step or a flow's cycle).

    Latencies are first counted per microsecond value in a plain dict (about
    0.1 µs a request) and added to the HDR histogram in bulk when read or when
    many distinct values have piled up (about 2 µs a value otherwise).

    The dict a request touches is the current interval's (`_recent`); each
    tick folds it into the run's pending counts and the interval's sparse
    buckets (about 0.3 µs a distinct value), so intervals cost no HDR work and
    repeated values still reach the histogram once per flush.
    """

    def __init__(self) -> None:
        self._histogram: HdrHistogram = _histogram()
        self._pending: Counter[int] = Counter()
        self._recent: Counter[int] = Counter()  # this interval's values, not yet folded
        self.failures = 0
        self.error_codes: Counter[str] = Counter()
        self.connections_opened = 0  # new connections the entry's requests needed (steps only)
        self.sum_us = 0  # every latency added up (folded values only): a histogram's exact `_sum`
        self._slot: Counter[int] = Counter()  # this interval's latency buckets
        self.slot_codes: Counter[str] = Counter()  # this interval's failures by code
        self._cumulative: list[int] = []
        self._cumulative_at = -1  # the total count `_cumulative` was summed at

    def record(self, microseconds: int) -> None:
        self._recent[microseconds] += 1
        if len(self._recent) > _PENDING_LIMIT:  # bounded memory, whatever the run's length
            self._fold()

    @property
    def histogram(self) -> HdrHistogram:
        """Everything recorded so far."""
        self._flush()
        return self._histogram

    def _fold(self) -> None:
        """The interval's values into the run's pending counts and the interval's buckets."""
        pending, slot = self._pending, self._slot
        pending_get, slot_get, shift_bits = pending.get, slot.get, BUCKET_BITS + 1
        added = 0
        for value, count in self._recent.items():  # hot: plain dict calls, `bucket` inlined
            pending[value] = pending_get(value, 0) + count
            added += value * count
            shift = value.bit_length() - shift_bits
            lower = value if shift <= 0 else (value >> shift) << shift
            slot[lower] = slot_get(lower, 0) + count
        self.sum_us += added
        self._recent.clear()
        if len(pending) > _PENDING_LIMIT:
            self._drain()

    def _flush(self) -> None:
        self._fold()
        self._drain()

    def _drain(self) -> None:
        record = self._histogram.record_value
        for value, count in self._pending.items():
            record(value, count)
        self._pending.clear()

    @property
    def count(self) -> int:
        """Requests so far, without the histogram's bulk work (for a progress line)."""
        unfolded = sum(self._pending.values()) + sum(self._recent.values())
        return int(self._histogram.get_total_count()) + unfolded

    def take_slot(self) -> Slot | None:
        """The current interval's figures (None if it saw nothing); a new interval starts."""
        self._fold()
        if not self._slot and not self.slot_codes:
            return None
        slot = Slot.of(self._slot, sum(self.slot_codes.values()), dict(self.slot_codes))
        self._slot, self.slot_codes = Counter(), Counter()
        return slot

    @property
    def requests(self) -> int:
        return int(self.histogram.get_total_count())

    def cumulative(self) -> list[int]:
        """The histogram's counts array, summed up to each index (kept while nothing is added)."""
        histogram = self.histogram
        total = int(histogram.get_total_count())
        if self._cumulative_at != total:
            top = histogram.get_counts_array_index(histogram.get_max_value()) + 1 if total else 0
            self._cumulative, self._cumulative_at = list(accumulate(histogram.counts[:top])), total
        return self._cumulative

    def percentile_ms(self, percentile: float) -> float:
        """The latency below which `percentile` % of requests fell, in ms: the HDR histogram's
        own `get_value_at_percentile`, found by bisection in `cumulative()` (its Python loop
        over the counts costs milliseconds a call, and live metrics ask every second)."""
        if not self.requests:
            return 0.0
        histogram = self.histogram
        index = bisect_left(self.cumulative(), histogram.get_target_count_at_percentile(percentile))
        value = histogram.get_value_from_index(index)
        if percentile:
            return float(histogram.get_highest_equivalent_value(value)) / 1000
        return float(histogram.get_lowest_equivalent_value(value)) / 1000

    def max_ms(self) -> float:
        return float(self.histogram.get_max_value()) / 1000 if self.requests else 0.0


def _cpu_clock() -> tuple[float, float]:
    return time.process_time(), time.monotonic()


class Recorder:
    """Every step and cycle this process (or, on the master, the whole run) saw."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], Series] = {}
        self.by_worker: dict[str, Counter[tuple[str, str]]] = {}  # master: requests per worker and entry
        self.timelines: dict[tuple[str, str], Timeline] = {}  # per entry, for the report's charts
        self.phase_requests: Counter[str] = Counter()  # provisioning, cleanup: not load
        self.stalls: list[tuple[float, float, int]] = []  # (from, to, in flight): no answer in between
        # Figures count from `epoch` on: a run measured after a settle (`--measure-from`) starts
        # epoch 1 then, and the master takes no worker figures of an earlier epoch.
        self.epoch = 0
        self.wanted_epoch = 0
        # The load generator's own busyness: this process's CPU share since the figures began,
        # and (master) each worker's as last shipped. A process near 100% measures itself.
        self.cpu_from = _cpu_clock()
        self.cpu_by_process: dict[str, float] = {}
        # Virtual users running now: this process's (its run says how), each worker's as shipped.
        self.users_now: Callable[[], int] = lambda: 0
        self.users_by_process: dict[str, int] = {}

    def record(self, kind: str, name: str, response_time: float, error_code: str | None) -> None:
        """One step or cycle, `response_time` in ms; `error_code` when it failed."""
        key = (kind, name)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series()
        series.record(max(1, min(int(response_time * 1000), _MAX_MICROSECONDS)))
        if error_code is not None:
            series.failures += 1
            series.error_codes[error_code] += 1
            series.slot_codes[error_code] += 1

    def connections(self, name: str, opened: int) -> None:
        """Step `name` opened `opened` new connections (reconnects included)."""
        key = (STEP, name)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series()
        series.connections_opened += opened

    def tick(self, index: int | None = None) -> None:
        """Close the current interval of every entry as base interval `index` (default: now's)."""
        index = int(time.time() // BASE_S) if index is None else index
        for key, series in self.series.items():
            slot = series.take_slot()
            if slot is not None:
                self.timelines.setdefault(key, Timeline()).add(index, slot)

    def tick_forever(self, sleep: Callable[[float], None]) -> None:
        """Close an interval at every `BASE_S` boundary of the wall clock (a greenlet's loop, given
        gevent's sleep), so the intervals of every worker line up."""
        while True:
            sleep(BASE_S - time.time() % BASE_S + 0.005)
            self.tick(int(time.time() // BASE_S) - 1)

    def _shipped_slots(self, key: tuple[str, str]) -> list[Any]:
        timeline = self.timelines.get(key)
        if timeline is None:
            return []
        return [[index * timeline.scale, slot.to_wire()] for index, slot in timeline.slots.items()]

    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        """Worker: ship what was recorded since the last report, then start afresh."""
        self.tick()
        series = [
            [
                kind,
                name,
                series.histogram.encode().decode(),
                series.failures,
                dict(series.error_codes),
                self._shipped_slots((kind, name)),
                series.connections_opened,
                series.sum_us,
            ]
            for (kind, name), series in self.series.items()
        ]
        data[METRICS_KEY] = {
            "epoch": self.epoch,
            "series": series,
            "phase_requests": dict(self.phase_requests),
            "stalls": [list(stall) for stall in self.stalls],
            "cpu": self.cpu_share(),
            "users": self.users_now(),
        }
        self.series, self.timelines, self.phase_requests, self.stalls = {}, {}, Counter(), []

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        """Master: add a worker's report to the run's figures."""
        counts = self.by_worker.setdefault(client_id, Counter())
        figures = data.get(METRICS_KEY) or {}
        if int(figures.get("epoch", 0)) < self.wanted_epoch:
            return  # figures of the settle before the measured part of a run
        if "cpu" in figures:
            self.cpu_by_process[client_id] = float(figures["cpu"])
        if "users" in figures:
            self.users_by_process[client_id] = int(figures["users"])
        self.phase_requests.update(figures.get("phase_requests", {}))
        self.stalls += [
            (float(begin), float(end), int(most)) for begin, end, most in figures.get("stalls", [])
        ]
        for kind, name, encoded, failures, codes, *rest in figures.get("series", []):
            for index, shipped in rest[0] if rest else []:
                self.timelines.setdefault((kind, name), Timeline()).add(int(index), Slot.from_wire(shipped))
            series = self.series.setdefault((kind, name), Series())
            histogram = HdrHistogram.decode(encoded)
            counts[(kind, name)] += histogram.get_total_count()
            series.histogram.add(histogram)
            series.failures += failures
            series.error_codes.update(codes)
            series.connections_opened += int(rest[1]) if len(rest) > 1 else 0
            series.sum_us += int(rest[2]) if len(rest) > 2 else 0

    def begin_epoch(self, epoch: int) -> None:
        """What was recorded so far is not wanted: figures count from now (epoch `epoch`) on."""
        self.reset()
        self.epoch = self.wanted_epoch = epoch

    def cpu_share(self) -> float:
        """This process's CPU time over wall time since the figures began (1.0: one core, flat out)."""
        cpu, wall = _cpu_clock()
        return (cpu - self.cpu_from[0]) / max(wall - self.cpu_from[1], 1e-9)

    def reset(self) -> None:
        self.cpu_from, self.cpu_by_process = _cpu_clock(), {}
        self.series = {}
        self.by_worker = {}
        self.timelines = {}
        self.phase_requests = Counter()
        self.stalls = []
