"""Exact latency histograms and error codes per step and cycle, merged across workers.

Locust rounds response times in its own statistics; the summary's percentiles
come from these HDR histograms instead (microsecond resolution, 3 significant
digits). Steps on the wire are recorded from Locust's `request` event (Locust
counts them too); whole cycles and local steps (`session_check`) are recorded
directly, so Locust's own views count only what reached the backend. A worker
ships its histograms with every stats report (`report_to_master`) and the
master adds them up (`worker_report`). Only authload's own entries are recorded.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hdrh.histogram import HdrHistogram

STEP, CYCLE = "step", "cycle"
_MAX_MICROSECONDS = 3_600_000_000  # one hour: nothing in an auth flow should take longer
METRICS_KEY = "authload_metrics"
_PENDING_LIMIT = 20_000  # distinct latency values held before they go into the histogram


def _histogram() -> HdrHistogram:
    return HdrHistogram(1, _MAX_MICROSECONDS, 3)


class Series:
    """Latencies and failures of one entry (a step or a flow's cycle).

    Latencies are first counted per microsecond value in a plain dict (about
    0.1 µs a request) and added to the HDR histogram in bulk when read or when
    many distinct values have piled up (about 2 µs a value otherwise).
    """

    def __init__(self) -> None:
        self._histogram: HdrHistogram = _histogram()
        self._pending: Counter[int] = Counter()
        self.failures = 0
        self.error_codes: Counter[str] = Counter()

    def record(self, microseconds: int) -> None:
        self._pending[microseconds] += 1
        if len(self._pending) > _PENDING_LIMIT:  # bounded memory, whatever the run's length
            self._flush()

    @property
    def histogram(self) -> HdrHistogram:
        """Everything recorded so far."""
        self._flush()
        return self._histogram

    def _flush(self) -> None:
        record = self._histogram.record_value
        for value, count in self._pending.items():
            record(value, count)
        self._pending.clear()

    @property
    def requests(self) -> int:
        return int(self.histogram.get_total_count())

    def percentile_ms(self, percentile: float) -> float:
        """The latency below which `percentile` % of requests fell, in ms."""
        if not self.requests:
            return 0.0
        return float(self.histogram.get_value_at_percentile(percentile)) / 1000

    def max_ms(self) -> float:
        return float(self.histogram.get_max_value()) / 1000 if self.requests else 0.0


class Recorder:
    """Every step and cycle this process (or, on the master, the whole run) saw."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], Series] = {}
        self.by_worker: dict[str, Counter[tuple[str, str]]] = {}  # master: requests per worker and entry

    def on_request(
        self, request_type: str, name: str, response_time: float, exception: BaseException | None, **_: Any
    ) -> None:
        """Listener of Locust's `request` event: the steps that went over the wire."""
        if request_type != STEP:
            return
        code = None
        if exception is not None:
            code = str(getattr(exception, "code", None) or f"INTERNAL_{type(exception).__name__}")
        self.record(STEP, name, response_time, code)

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

    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        """Worker: ship what was recorded since the last report, then start afresh."""
        data[METRICS_KEY] = [
            [kind, name, series.histogram.encode().decode(), series.failures, dict(series.error_codes)]
            for (kind, name), series in self.series.items()
        ]
        self.series = {}

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        """Master: add a worker's report to the run's figures."""
        counts = self.by_worker.setdefault(client_id, Counter())
        for kind, name, encoded, failures, codes in data.get(METRICS_KEY, []):
            series = self.series.setdefault((kind, name), Series())
            histogram = HdrHistogram.decode(encoded)
            counts[(kind, name)] += histogram.get_total_count()
            series.histogram.add(histogram)
            series.failures += failures
            series.error_codes.update(codes)

    def reset(self) -> None:
        self.series = {}
        self.by_worker = {}
