"""Live metrics of a run: Prometheus's `/metrics` on the master (or the only process) with
`--metrics-port`, and with Locust's `--otel` authload's own figures through OpenTelemetry.

Both read one snapshot of the figures the summary is built from (`report._live`); the master's
recorder already holds every worker's, so workers serve nothing. After the run the endpoint
keeps serving the final figures for `--metrics-linger` seconds (a second Ctrl-C cuts it short),
so the last scrape sees the final counts.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from ...report import Snapshot, snapshot
from ._setup import MASTER, WORKER

log = logging.getLogger("authload")
DEFAULT_LINGER_S = 5.0
_SNAPSHOT_REUSE_S = 0.5  # OpenTelemetry asks once per instrument: one snapshot serves them all


def local_users(run: Any) -> int:
    """Virtual users running in this process: the open model's busy pooled users."""
    arrivals = run.arrivals
    if arrivals is not None:
        return len(arrivals.users) - int(arrivals.free.qsize())
    return int(run.runner.user_count) if run.plan is not None else 0


def users_now(run: Any) -> int:
    """Virtual users running in the whole run (the master: as its workers last said)."""
    if run.role == MASTER:
        return sum(run.recorder.users_by_process.values())
    return local_users(run)


def live_snapshot(run: Any) -> Snapshot | None:
    """The run's figures now; None before its first start."""
    if run.plan is None or not run.started_at:
        return None
    return snapshot(run.facts(), users=users_now(run), version=_version())


def start(run: Any) -> None:
    """At `init` (not on a worker): serve `/metrics` if asked, and export through OpenTelemetry
    when Locust's `--otel` is on."""
    if run.role == WORKER:
        return
    options = run.options
    if getattr(options, "otel", False):
        _otel(run)
    port = getattr(options, "metrics_port", None)
    if port in (None, ""):
        return
    from ...report._prometheus import MetricsServer  # prometheus_client loads only when asked

    host = getattr(options, "metrics_host", None) or "127.0.0.1"
    try:
        run.metrics = MetricsServer(lambda: live_snapshot(run), host, int(port))
    except OSError as error:
        print(f"authload: cannot serve metrics on {host}:{port}: {error.strerror or error}", file=sys.stderr)
        raise SystemExit(3) from None
    print(f"authload: live metrics on {run.metrics.url}", file=sys.stderr, flush=True)


def linger(run: Any) -> None:
    """At `quitting`, after the reports: serve the final figures a while, then close."""
    if getattr(run.options, "otel", False):
        _flush_otel()
    if run.metrics is None:
        return
    seconds = float(getattr(run.options, "metrics_linger", None) or DEFAULT_LINGER_S)
    if seconds > 0:
        log.info("metrics: serving the final figures for %g s more", seconds)
        run.stopping.hurry.wait(timeout=seconds)
    run.metrics.close()
    run.metrics = None


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("authload")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree
        return "unknown"


def _otel(run: Any) -> None:
    """authload's figures as OpenTelemetry observable instruments on Locust's meter provider."""
    try:
        from ...report._otel import register
    except ImportError:
        log.error("OpenTelemetry is not installed: pip install 'authload[otel]'")
        return
    cache: dict[str, Any] = {"at": 0.0, "value": None}

    def current() -> Snapshot | None:
        if time.monotonic() - cache["at"] > _SNAPSHOT_REUSE_S:
            cache["value"], cache["at"] = live_snapshot(run), time.monotonic()
        value: Snapshot | None = cache["value"]
        return value

    register(current)


def _flush_otel() -> None:
    """The last figures out before the process exits (Locust's provider exports periodically)."""
    try:
        from opentelemetry import metrics
    except ImportError:
        return
    provider = metrics.get_meter_provider()
    flush = getattr(provider, "force_flush", None)
    if callable(flush):
        flush()
