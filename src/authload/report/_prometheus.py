"""`/metrics`: the run's live figures in Prometheus's format, through `prometheus_client`.

A custom collector builds every family from one `Snapshot` at each scrape: nothing is counted
twice, the load path does no extra work per request, and a scrape reads exactly what
summary.json will say. Served by the master (or the only process) from its own registry.

| family | type | labels |
|---|---|---|
| `authload_requests_total` | counter | `step`, `outcome` (ok, error): steps on the wire (`total.requests`) |
| `authload_errors_total` | counter | `step`, `code` (at most 20 a step, then `other`) |
| `authload_step_duration_seconds` | histogram | `step` (buckets: `BUCKETS_S`) |
| `authload_cycles_total` | counter | `flow`, `outcome` |
| `authload_cycle_duration_seconds` | histogram | `flow` |
| `authload_http_requests_total` | counter | `endpoint`, `host` (at most 50, then `other`): as `http.load` |
| `authload_users` | gauge | - |
| `authload_arrivals_total` | counter | `state` (scheduled, started, dropped): open model |
| `authload_goodput` | gauge | `flow` (and `total`): good cycles per second |
| `authload_threshold_ok` | gauge | `rule`: 1 holds now, 0 not |
| `authload_run_info` | gauge (1) | `run_id`, `scenario`, `environment`, `version` |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import (
    CollectorRegistry,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector

from ._live import BUCKETS_S, Histogram, Snapshot

Source = Callable[[], Snapshot | None]  # None: no run yet (a web UI before its first start)


class RunCollector(Collector):
    """Every authload family, from the snapshot `source` gives at each scrape."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def describe(self) -> list[Any]:
        return []  # families depend on the run: nothing to collect at registration

    def collect(self) -> Iterator[Any]:
        found = self.source()
        if found is None:
            return
        yield _gauge("authload_run_info", "the run these figures are of", found.info, 1)
        yield _counter(
            "authload_requests", "steps on the wire (total.requests)", ("step", "outcome"), found.requests
        )
        yield _counter("authload_errors", "failed steps by error code", ("step", "code"), found.errors)
        yield _histograms("authload_step_duration_seconds", "step latency", "step", found.step_durations)
        yield _counter("authload_cycles", "flow cycles", ("flow", "outcome"), found.cycles)
        yield _histograms("authload_cycle_duration_seconds", "cycle latency", "flow", found.cycle_durations)
        yield _counter(
            "authload_http_requests",
            "HTTP requests of the load (http.load)",
            ("endpoint", "host"),
            found.http,
        )
        users = GaugeMetricFamily("authload_users", "virtual users running")
        users.add_metric([], found.users)
        yield users
        if found.arrivals:
            rows = [(state, count) for state, count in found.arrivals.items()]
            yield _counter("authload_arrivals", "open-model arrivals", ("state",), rows)
        goodput = GaugeMetricFamily("authload_goodput", "good cycles per second", labels=["flow"])
        for flow, rate in found.goodput.items():
            goodput.add_metric([flow], rate)
        yield goodput
        rules = GaugeMetricFamily("authload_threshold_ok", "1: the rule holds now", labels=["rule"])
        for rule, holds in found.thresholds.items():
            rules.add_metric([rule], 1.0 if holds else 0.0)
        yield rules


def _gauge(name: str, documentation: str, labels: dict[str, str], value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


def _counter(
    name: str, documentation: str, labels: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=list(labels))
    for *values, count in rows:
        family.add_metric([str(value) for value in values], count)
    return family


def _histograms(
    name: str, documentation: str, label: str, histograms: dict[str, Histogram]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=[label], unit="")
    for value, histogram in histograms.items():
        buckets = [
            (f"{bound:g}", count) for bound, count in zip(BUCKETS_S, histogram.cumulative, strict=True)
        ]
        family.add_metric([value], [*buckets, ("+Inf", histogram.count)], histogram.sum_s)
    return family


class MetricsServer:
    """`/metrics` on `host:port` (port 0: any free one) until `close()`."""

    def __init__(self, source: Source, host: str, port: int) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(RunCollector(source))
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        self.port = int(self._server.server_port)
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


__all__ = ["MetricsServer", "RunCollector"]
