"""The time series behind the HTML charts: buckets, per-interval percentiles, bounded memory."""

from __future__ import annotations

import random

from authload.report import Slot, Timeline
from authload.report._timeseries import MAX_SLOTS, bucket, bucket_width, distribution

from .report_fixtures import slot


def test_buckets_are_under_about_three_percent_wide() -> None:
    for value in (1, 63, 64, 65, 1000, 12_345, 999_999, 3_600_000_000):
        lower = bucket(value)
        assert lower <= value < lower + bucket_width(lower)
        assert bucket_width(lower) <= max(1, lower / 32)


def test_interval_percentiles_are_close_to_exact() -> None:
    rng = random.Random(3)
    values = sorted(int(rng.lognormvariate(9.0, 0.6)) for _ in range(5000))
    interval = slot(values)
    assert interval.requests == 5000
    for percentile in (50, 95, 99):
        exact = values[round(len(values) * percentile / 100) - 1] / 1000
        assert abs(interval.percentile_ms(percentile) - exact) <= exact * 0.035


def test_slots_of_workers_add_up_on_the_same_interval() -> None:
    timeline = Timeline()
    timeline.add(100, slot([1000] * 5, failures=1))
    timeline.add(100, Slot.from_wire(slot([2000] * 5, failures=2, code="ERR_Y").to_wire()))
    (merged,) = timeline.slots.values()
    assert merged.requests == 10 and merged.failures == 3 and merged.codes == {"ERR_X": 1, "ERR_Y": 2}
    assert merged.percentile_ms(50) < 1.1 < merged.percentile_ms(95)


def test_a_long_run_stays_bounded_and_keeps_every_request() -> None:
    timeline = Timeline()
    for second in range(3600):  # one hour at one slot a second
        timeline.add(1_790_000_000 + second, slot([5000, 6000], failures=1))
    assert len(timeline.slots) <= MAX_SLOTS and timeline.width_s >= 3600 / MAX_SLOTS
    whole = timeline.whole()
    assert whole.requests == 7200 and whole.failures == 3600
    points = timeline.points(1_790_000_000.0)
    assert points[0].at_s == 0.0 and sum(p.requests for p in points) == 7200
    assert all(abs(p.requests / p.width_s - 2.0) < 1e-9 for p in points[1:-1])


def test_distribution_bars_cover_every_request() -> None:
    values = [100, 900, 5000, 5100, 40_000, 2_000_000]
    bars = distribution(slot(values))
    assert sum(count for _, _, count in bars) == len(values)
    assert all(low < high for low, high, _ in bars)
    assert bars[0][0] <= 0.1 and bars[-1][1] > 2000
