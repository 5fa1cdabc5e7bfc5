"""The figures of one entry (a step, a flow's cycle, or the total), as plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PERCENTILES = (50.0, 90.0, 95.0, 99.0)


@dataclass(frozen=True)
class Figures:
    """Requests, failures and latency (ms) of one entry over the run."""

    requests: int
    failures: int
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    rps: float
    errors_by_code: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # steps that sent nothing (SDK semantics): not in requests, rates or total
    correctness_failures: int = 0  # answered without error, but wrongly: not in failures
    correctness_by_code: dict[str, int] = field(default_factory=dict)
    connections_opened: int = 0  # new connections (reconnects included); a backend closing idle ones
    throttled: int = 0  # failures the backend throttled (HTTP 429): counted in failures, and apart
    retried: int = 0  # attempts tried again after a 429 (a scenario's `retry`), not in requests
    goodput: float = 0.0  # cycles per second with no error and no correctness failure (flows, total)
    stalled_s: float = 0.0  # total only: seconds in which requests were in flight and none completed

    @property
    def error_rate(self) -> float:
        """Failures over requests (throttled ones included); 0 when nothing was sent."""
        return self.failures / self.requests if self.requests else 0.0

    @property
    def throttle_rate(self) -> float:
        """Throttled (429) failures over requests: a 429 storm is told from a 500 storm."""
        return self.throttled / self.requests if self.requests else 0.0

    def metric(self, name: str) -> float:
        """A metric a threshold can name."""
        if name == "error_rate":
            return self.error_rate
        if name == "throttle_rate":
            return self.throttle_rate
        if name == "requests":
            return float(self.requests)
        return float(getattr(self, name))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_rate"] = round(self.error_rate, 6)
        data["throttle_rate"] = round(self.throttle_rate, 6)
        for key in ("p50", "p90", "p95", "p99", "max", "rps", "goodput", "stalled_s"):
            data[key] = round(data[key], 3)
        return data


EMPTY = Figures(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
