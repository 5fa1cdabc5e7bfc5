"""The capacity search's logic without I/O: the rates it asks, each probe's judgement, the outcome."""

from __future__ import annotations

from typing import Any

import pytest

from authload.capacity import Outcome, Search, judge
from authload.scenario import parse_threshold


def _searched(truth: float, start: float = 10, stop: float = 10_000, precision: float = 0.1) -> Search:
    """Drive a search against a backend that holds exactly up to `truth`."""
    search = Search(start, stop, precision)
    for _ in range(100):
        rate = search.next_rate()
        if rate is None:
            return search
        search.record(rate, rate <= truth)
    raise AssertionError("the search did not end")


@pytest.mark.parametrize("truth", [13, 100, 299, 300, 301, 4_321, 9_999])
def test_the_search_brackets_the_truth_within_the_precision(truth: float) -> None:
    search = _searched(truth)
    assert search.good is not None and search.bad is not None
    assert search.good <= truth < search.bad
    assert (search.bad - search.good) / search.good <= 0.1
    assert search.limited_by == "backend"


def test_it_grows_geometrically_then_bisects() -> None:
    search = _searched(300, start=80)
    assert search.asked == [80, 160, 320, 240, 280, 300]


def test_the_range_holding_everywhere_ends_at_to() -> None:
    search = _searched(1e9, start=10, stop=100)
    assert search.asked == [10, 20, 40, 80, 100] and search.limited_by == "search_range"


def test_a_first_rate_that_breaks_ends_the_search() -> None:
    search = _searched(5, start=10)
    assert search.asked == [10] and search.good is None


def test_a_generator_limited_probe_ends_it() -> None:
    search = Search(10, 100, 0.1)
    search.record(10, True)
    search.limited_by_generator()
    assert search.next_rate() is None and search.limited_by == "generator"


def test_precision_so_fine_it_cannot_move_is_refused() -> None:
    with pytest.raises(ValueError, match="precision"):
        Search(10, 100, 0.001)
    with pytest.raises(ValueError, match="from <= to"):
        Search(100, 10, 0.1)


def _summary(**changes: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "status": "completed",
        "duration_s": 3.4,
        "total": {"p95": 3.0, "p99": 5.0, "error_rate": 0.0, "throttle_rate": 0.0},
        "cycles": {"returning": {"requests": 300, "failures": 0}},
        "arrivals": {"scheduled": 300, "started": 300, "dropped": 0, "start_delay_ms": {"p95": 2.0}},
        "generator": {"cpu": {"local": 0.3}, "cpu_max": 0.3, "busy": False},
        "run": {"load": {"run_time_s": 4.0, "measure_from_s": 1.0}},
        "thresholds": [
            {
                "threshold": "total.p95",
                "rule": "< 10ms",
                "measured": 3.0,
                "limit": 10,
                "unit": "ms",
                "passed": True,
            }
        ],
    }
    for key, value in changes.items():
        summary[key] = {**summary[key], **value} if isinstance(value, dict) else value
    return summary


def test_a_probe_that_held() -> None:
    probe = judge(100, "01", _summary())
    assert probe.verdict == "pass" and probe.achieved_rate == 100 and probe.goodput == 100
    assert probe.duration_s == 3.0  # the hold, not the settle or the drain after it


def test_a_broken_rule_is_the_backends_failure_even_with_drops() -> None:
    broken = [
        {
            "threshold": "total.p95",
            "rule": "< 10ms",
            "measured": 90,
            "limit": 10,
            "unit": "ms",
            "passed": False,
        }
    ]
    probe = judge(100, "01", _summary(thresholds=broken, arrivals={"dropped": 30, "started": 270}))
    assert probe.verdict == "fail" and probe.broken_rule == "total.p95 < 10ms"


def test_drops_with_every_rule_held_are_the_generators() -> None:
    probe = judge(100, "01", _summary(arrivals={"dropped": 30, "started": 270}))
    assert probe.verdict == "generator" and probe.achieved_rate == 90
    assert any("--max-users" in limit for limit in probe.generator_limits)


@pytest.mark.parametrize(
    "changes",
    [
        {"generator": {"cpu": {"worker-1": 0.97}, "cpu_max": 0.97, "busy": True}},
        {"arrivals": {"start_delay_ms": {"p95": 400.0}}},
    ],
)
def test_a_busy_or_late_generator_taints_any_result(changes: dict[str, Any]) -> None:
    broken = [
        {
            "threshold": "total.p95",
            "rule": "< 10ms",
            "measured": 90,
            "limit": 10,
            "unit": "ms",
            "passed": False,
        }
    ]
    probe = judge(100, "01", _summary(thresholds=broken, **changes))
    assert probe.verdict == "generator"


def test_a_probe_without_a_summary_is_an_error() -> None:
    assert judge(100, "01", None).verdict == "error"
    assert judge(100, "01", _summary(status="incomplete", error="lost 1 worker")).error == "lost 1 worker"


def _outcome(verdicts: list[tuple[float, dict[str, Any]]], rule: str = ">= 150/s") -> Outcome:
    search = Search(100, 1000, 0.1)
    outcome = Outcome(search, [], [parse_threshold("capacity.max_rate", rule, set())])
    for rate, changes in verdicts:
        probe = judge(rate, f"{rate:g}", _summary(**changes))
        outcome.probes.append(probe)
        if probe.verdict == "generator":
            search.limited_by_generator()
        else:
            search.record(rate, probe.held)
    return outcome


BROKEN = {
    "thresholds": [
        {"threshold": "t.p95", "rule": "< 1ms", "measured": 9, "limit": 1, "unit": "ms", "passed": False}
    ]
}


def test_the_outcome_of_a_backend_limited_search() -> None:
    outcome = _outcome([(100, {}), (200, BROKEN), (150, {}), (175, BROKEN)])
    assert outcome.max_rate == 150 and outcome.first_failing is not None and outcome.first_failing.rate == 175
    assert outcome.limited_by == "backend" and outcome.exit_code == 0
    assert _outcome([(100, {}), (200, BROKEN)], rule=">= 400/s").exit_code == 1


def test_the_outcome_of_a_generator_limited_search_is_exit_3_and_a_lower_bound() -> None:
    starved = {"arrivals": {"scheduled": 600, "dropped": 150, "started": 450}}
    outcome = _outcome([(100, {}), (200, starved)])
    assert outcome.limited_by == "generator" and outcome.exit_code == 3
    assert outcome.max_rate == 150  # delivered while every rule held: at least that
    assert not outcome.rule_verdicts()[0]["passed"]  # even though 150 >= 150: a bound proves no floor
    assert "at least 150/s" in (outcome.advice() or "")
