"""The live figures: bounded labels, histogram buckets exact against the values recorded, and
the Prometheus text a scrape gets (parsed back with prometheus_client's own parser)."""

from __future__ import annotations

import bisect
import random
import time

from prometheus_client.core import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from authload.report import Recorder, RunFacts
from authload.report._live import BUCKETS_S, MAX_CODES, MAX_ENDPOINTS, OTHER, histogram_of, snapshot
from authload.report._prometheus import RunCollector
from authload.report._recorder import Series
from authload.scenario import load_scenario


def _facts(recorder: Recorder) -> RunFacts:
    return RunFacts(
        run_id="r1",
        scenario=load_scenario("smoke"),
        scenario_file="smoke.yaml",
        environment="mock",
        backend="mock",
        base_urls={"rest": "http://127.0.0.1:1", "client": "http://127.0.0.1:1"},
        recorder=recorder,
        started_at=time.time() - 10,
    )


def test_error_codes_and_endpoints_beyond_the_caps_fold_into_other() -> None:
    recorder = Recorder()
    for index in range(MAX_CODES + 10):
        for _ in range(index + 1):  # code i fails i+1 times: the rarest are folded
            recorder.record("step", "logout", 1.0, f"CODE_{index}")
    for index in range(MAX_ENDPOINTS + 7):
        recorder.record("http", f"GET rest /path{index}", 1.0, None)
    found = snapshot(_facts(recorder), users=3, version="test")
    codes = {code: count for step, code, count in found.errors if step == "logout"}
    assert len(codes) == MAX_CODES + 1 and OTHER in codes
    assert sum(codes.values()) == sum(range(1, MAX_CODES + 11))  # nothing lost
    assert "CODE_0" not in codes and f"CODE_{MAX_CODES + 9}" in codes
    assert len(found.http) == MAX_ENDPOINTS + 1 and found.http[-1] == (OTHER, OTHER, 7)
    assert found.users == 3 and found.info["run_id"] == "r1"


def test_histogram_buckets_count_what_was_recorded() -> None:
    series = Series()
    values = [max(1, int(random.lognormvariate(8, 1.5))) for _ in range(50_000)]  # microseconds
    for value in values:
        series.record(value)
    histogram = histogram_of(series)
    ordered = sorted(values)
    for bound, cumulative in zip(BUCKETS_S, histogram.cumulative, strict=True):
        exact = bisect.bisect_right(ordered, bound * 1_000_000)
        assert abs(cumulative - exact) <= max(2, exact // 500)  # HDR's 3 significant digits
    assert histogram.count == len(values) and abs(histogram.sum_s - sum(values) / 1e6) < 1e-6


def test_a_scrape_is_valid_prometheus_text_and_counts_as_the_summary_does() -> None:
    recorder = Recorder()
    for _ in range(40):
        recorder.record("step", "login_auth_token", 2.0, None)
        recorder.record("step", "session_check", 0.01, None)  # local: not on the wire
    recorder.record("step", "login_auth_token", 5.0, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND")
    recorder.record("cycle", "returning_user", 9.0, None)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunCollector(lambda: snapshot(_facts(recorder), users=2, version="test")))
    families = {
        family.name: family for family in text_string_to_metric_families(generate_latest(registry).decode())
    }
    requests = {tuple(sorted(s.labels.items())): s.value for s in families["authload_requests"].samples}
    assert requests == {
        (("outcome", "ok"), ("step", "login_auth_token")): 40,
        (("outcome", "error"), ("step", "login_auth_token")): 1,
    }
    buckets = [s for s in families["authload_step_duration_seconds"].samples if s.name.endswith("_bucket")]
    assert [s.labels["le"] for s in buckets][-1] == "+Inf" and buckets[-1].value == 41
    assert families["authload_run_info"].samples[0].labels["run_id"] == "r1"
    rules = {s.labels["rule"]: s.value for s in families["authload_threshold_ok"].samples}
    assert rules["total.error_rate < 1%"] == 0.0  # 1 of 41 failed: the live verdict says so


def test_no_run_yet_is_an_empty_scrape() -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunCollector(lambda: None))
    assert generate_latest(registry) == b""
