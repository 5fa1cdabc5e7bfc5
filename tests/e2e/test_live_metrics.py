"""Live metrics: a real Prometheus scrapes `/metrics` during a run and agrees with summary.json;
the final figures linger, the endpoint is on loopback unless told, Locust's own options pass
through after `--` (OpenTelemetry among them), and authload's own are refused there."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from authload.common._ports import port_for_a_server
from authload.report._live import BUCKETS_S

from .conftest import ROOT, only_run, only_summary, run_cli

pytestmark = pytest.mark.e2e
SCENARIO = """\
name: live
identities: {count: 8, uid_prefix: live-}
load: {users: 6, spawn_rate: 6, run_time: 15s}
flows:
  returning:
    steps: [session_check, login_auth_token, {pause: 5ms}, logout]
thresholds:
  login_auth_token.p95: "< 1s"
  total.error_rate: "< 1%"
"""
PROMETHEUS = shutil.which("prometheus")


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A real Prometheus on loopback scraping a metrics port every second: (its URL, the port)."""
    if PROMETHEUS is None:
        pytest.skip("no prometheus binary (Debian: apt-get install prometheus)")
    target, listen = port_for_a_server(), port_for_a_server()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 900ms}\n"
        "scrape_configs:\n  - job_name: authload\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{target}']}}]\n"
    )
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{listen}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{listen}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield url, target
    finally:
        process.terminate()
        process.wait(timeout=10)


def _query(url: str, promql: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=5) as answer:
        data = json.load(answer)
    assert data["status"] == "success", data
    result: list[dict[str, Any]] = data["data"]["result"]
    return result


def _number(url: str, promql: str) -> float:
    (row,) = _query(url, promql)
    return float(row["value"][1])


def _bucket_of(ms: float) -> int:
    return next((i for i, bound in enumerate(BUCKETS_S) if ms / 1000 <= bound), len(BUCKETS_S))


@pytest.mark.parametrize("processes", [None, 2], ids=["one-process", "processes-2"])
def test_prometheus_agrees_with_the_summary(
    prometheus: tuple[str, int], tmp_path: Path, processes: int | None
) -> None:
    url, port = prometheus
    (tmp_path / "s.yaml").write_text(SCENARIO)
    extra = ["--processes", str(processes)] if processes else []
    args = [
        str(tmp_path / "s.yaml"),
        "--report-dir",
        str(tmp_path / "r"),
        "--metrics-port",
        str(port),
        *extra,
    ]
    result = run_cli("run", *args, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = only_summary(tmp_path / "r")
    final = "[5m]"
    # counters only grow within a run: each series' highest sample is its final value
    requests = _number(url, f"sum(max_over_time(authload_requests_total{final}))")
    assert requests == summary["total"]["requests"] > 500
    counted = _number(url, f"sum(max_over_time(authload_step_duration_seconds_count{final}))")
    assert counted == summary["total"]["requests"]
    http = _number(url, f"sum(max_over_time(authload_http_requests_total{final}))")
    assert http == summary["http"]["load"]["requests"]
    p95 = _number(
        url,
        "histogram_quantile(0.95, sum by (le) "
        f'(max_over_time(authload_step_duration_seconds_bucket{{step="login_auth_token"}}{final})))',
    )
    exact = summary["steps"]["login_auth_token"]["p95"]
    assert abs(_bucket_of(p95 * 1000) - _bucket_of(exact)) <= 1, (p95, exact)
    (info,) = _query(url, f"max_over_time(authload_run_info{final})")
    assert info["metric"]["run_id"] == summary["run_id"] and info["metric"]["scenario"] == "live"
    ok = _query(url, f"max_over_time(authload_threshold_ok{final})")
    assert {row["metric"]["rule"] for row in ok} == {"login_auth_token.p95 < 1s", "total.error_rate < 1%"}


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
        text: str = answer.read().decode()
    return text


def _total(text: str, family: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(family + "{"))


def test_the_final_figures_linger_on_loopback(tmp_path: Path) -> None:
    port = port_for_a_server()
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("run_time: 15s", "run_time: 2s"))
    command = [
        sys.executable,
        "-m",
        "authload",
        "run",
        str(tmp_path / "s.yaml"),
        "--report-dir",
        str(tmp_path / "r"),
    ]
    command += ["--metrics-port", str(port), "--metrics-linger", "4"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list((tmp_path / "r").glob("*/summary.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        written = time.monotonic()
        summary = json.loads((only_run(tmp_path / "r") / "summary.json").read_text())
        text = _scrape(port)  # after the report: the final counts, as the summary says them
        assert _total(text, "authload_requests_total") == summary["total"]["requests"]
        listening = Path("/proc/net/tcp").read_text()
        assert f"0100007F:{port:04X}" in listening  # 127.0.0.1, not every interface
        process.wait(timeout=30)
        assert time.monotonic() - written >= 3  # it lingered
        with pytest.raises(OSError):
            _scrape(port)  # and then stopped serving
    finally:
        process.kill()
        stdout, stderr = process.communicate()
    assert f"live metrics on http://127.0.0.1:{port}/metrics" in stderr
    assert process.returncode == 0, stderr[-2000:]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--users=3", "use authload's --users"),
        ("-t", "use authload's --run-time"),
        ("--csv", "writes the reports"),
    ],
)
def test_owned_options_after_dashes_are_refused(tmp_path: Path, option: str, message: str) -> None:
    result = run_cli("run", "smoke", "--report-dir", str(tmp_path / "r"), "--", option, "5s")
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "r").exists()


class _Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP metrics endpoint: keeps every request body."""

    bodies: list[bytes] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_locust_otel_passes_through_with_authloads_figures(tmp_path: Path) -> None:
    pytest.importorskip("opentelemetry.sdk")
    service = pytest.importorskip("opentelemetry.proto.collector.metrics.v1.metrics_service_pb2")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}/v1/metrics"
    env = {
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": endpoint,
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
    }
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("run_time: 15s", "run_time: 2s"))
    try:
        result = run_cli(
            "run", str(tmp_path / "s.yaml"), "--report-dir", str(tmp_path / "r"), "--", "--otel", env=env
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    summary = only_summary(tmp_path / "r")
    last: dict[str, float] = {}
    for body in _Receiver.bodies:
        request = service.ExportMetricsServiceRequest.FromString(body)
        for resource in request.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.HasField("sum"):
                        last[metric.name] = sum(
                            point.as_int or point.as_double for point in metric.sum.data_points
                        )
                    elif metric.HasField("histogram"):
                        last[metric.name] = sum(point.count for point in metric.histogram.data_points)
    assert last["authload.requests"] == summary["total"]["requests"] > 50
    assert last["authload.http.requests"] == summary["http"]["load"]["requests"]
    # Locust's own histogram: one point per HTTP request
    assert last["locust.client.duration"] == summary["http"]["load"]["requests"]
    assert not math.isnan(last["authload.cycles"])
