"""authload's figures through OpenTelemetry: observable instruments on the global meter
provider (Locust's `--otel` sets it up from the standard `OTEL_*` variables), read from the
same snapshot as `/metrics`. Names are Prometheus's in OpenTelemetry's dotted style.

| instrument | kind | attributes |
|---|---|---|
| `authload.requests` | counter | `step`, `outcome` |
| `authload.errors` | counter | `step`, `code` |
| `authload.step.duration` | gauge (s) | `step`, `quantile` (p50, p95, p99: exact, from HDR histograms) |
| `authload.cycles` | counter | `flow`, `outcome` |
| `authload.http.requests` | counter | `endpoint`, `host` |
| `authload.users` | gauge | - |
| `authload.arrivals` | counter | `state` |
| `authload.goodput` | gauge (1/s) | `flow` |
| `authload.threshold.ok` | gauge | `rule` |

OpenTelemetry has no observable histogram, so the distribution goes out as exact percentiles;
Locust's own `locust.client.duration` histogram covers each HTTP request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from ._live import Snapshot

Current = Callable[[], Snapshot | None]


def register(current: Current) -> None:
    """Create authload's instruments on the global meter provider."""
    meter = metrics.get_meter("authload")

    def rows(pick: Callable[[Snapshot], Iterable[tuple[dict[str, str], float]]]) -> Any:
        def callback(options: CallbackOptions) -> Iterable[Observation]:
            found = current()
            return [] if found is None else [Observation(value, labels) for labels, value in pick(found)]

        return [callback]

    def pairs(
        names: tuple[str, str], items: list[tuple[str, str, int]]
    ) -> list[tuple[dict[str, str], float]]:
        return [({names[0]: first, names[1]: second}, value) for first, second, value in items]

    counter, gauge = meter.create_observable_counter, meter.create_observable_gauge
    counter("authload.requests", rows(lambda s: pairs(("step", "outcome"), s.requests)), unit="{request}")
    counter("authload.errors", rows(lambda s: pairs(("step", "code"), s.errors)), unit="{request}")
    counter("authload.cycles", rows(lambda s: pairs(("flow", "outcome"), s.cycles)), unit="{cycle}")
    counter("authload.http.requests", rows(lambda s: pairs(("endpoint", "host"), s.http)), unit="{request}")
    counter("authload.arrivals", rows(lambda s: [({"state": k}, v) for k, v in s.arrivals.items()]))
    gauge(
        "authload.step.duration",
        rows(
            lambda s: [
                ({"step": step, "quantile": name}, value)
                for step, quantiles in s.percentiles.items()
                for name, value in quantiles.items()
            ]
        ),
        unit="s",
    )
    gauge("authload.users", rows(lambda s: [({}, float(s.users))]), unit="{user}")
    gauge("authload.goodput", rows(lambda s: [({"flow": k}, v) for k, v in s.goodput.items()]), unit="1/s")
    gauge("authload.threshold.ok", rows(lambda s: [({"rule": k}, float(v)) for k, v in s.thresholds.items()]))


__all__ = ["register"]
