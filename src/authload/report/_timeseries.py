"""Per-interval figures of one entry (a step or a flow's cycle), bounded however long the run.

Each process closes an interval every `BASE_S` seconds on the wall clock, so
intervals of different workers line up by index (`epoch seconds // BASE_S`)
and the master adds them up. Latencies of an interval are counted in sparse
log-linear buckets (32 per power of two: a bucket is under 3.2% wide), exact
enough to draw; the run's exact percentiles stay with the HDR histograms.

A timeline holds at most `MAX_SLOTS` intervals: past that, adjacent pairs
merge and the interval width doubles, so a one-hour run keeps 120 slots of
32 s, not 3,600 of 1 s, and its report stays small. Closed slots keep their
buckets in two machine-word arrays (16 bytes a bucket, not ~100 in a dict).
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

BASE_S = 1.0
MAX_SLOTS = 120
BUCKET_BITS = 5  # 2**5 = 32 buckets per power of two


def bucket(microseconds: int) -> int:
    """The lower bound of the bucket holding `microseconds` (values under 64 µs are exact)."""
    shift = microseconds.bit_length() - BUCKET_BITS - 1
    return microseconds if shift <= 0 else (microseconds >> shift) << shift


def bucket_width(lower: int) -> int:
    """How many microseconds the bucket starting at `lower` spans."""
    return 1 << max(0, lower.bit_length() - BUCKET_BITS - 1)


@dataclass(slots=True)
class Slot:
    """What one entry did in one interval: latency buckets (µs), failures, error codes."""

    keys: array[int] = field(default_factory=lambda: array("q"))
    counts: array[int] = field(default_factory=lambda: array("q"))
    failures: int = 0
    codes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, buckets: dict[int, int], failures: int = 0, codes: dict[str, int] | None = None) -> Slot:
        ordered = sorted(buckets.items())
        return cls(
            array("q", (k for k, _ in ordered)),
            array("q", (c for _, c in ordered)),
            failures,
            dict(codes or {}),
        )

    @property
    def requests(self) -> int:
        return sum(self.counts)

    def merged(self, other: Slot) -> Slot:
        buckets: Counter[int] = Counter(dict(zip(self.keys, self.counts, strict=True)))
        buckets.update(dict(zip(other.keys, other.counts, strict=True)))
        codes = Counter(self.codes)
        codes.update(other.codes)
        return Slot.of(buckets, self.failures + other.failures, dict(codes))

    def percentile_ms(self, percentile: float) -> float:
        """The bucket's middle where `percentile` % of the interval's requests fell, in ms."""
        total = self.requests
        if not total:
            return 0.0
        wanted, seen = max(1, round(total * percentile / 100)), 0
        for lower, count in zip(self.keys, self.counts, strict=True):
            seen += count
            if seen >= wanted:
                return (lower + (bucket_width(lower) - 1) / 2) / 1000
        return 0.0  # unreachable: `seen` reaches `total`

    def to_wire(self) -> list[Any]:
        """Plain lists for msgpack (worker → master)."""
        return [list(self.keys), list(self.counts), self.failures, self.codes]

    @classmethod
    def from_wire(cls, data: list[Any]) -> Slot:
        keys, counts, failures, codes = data
        return cls(array("q", keys), array("q", counts), int(failures), dict(codes))


@dataclass(slots=True)
class Timeline:
    """One entry's slots, keyed by `epoch seconds // (BASE_S * scale)`; `scale` doubles to stay bounded."""

    scale: int = 1
    slots: dict[int, Slot] = field(default_factory=dict)

    @property
    def width_s(self) -> float:
        return BASE_S * self.scale

    def add(self, index: int, slot: Slot) -> None:
        """Add what happened in base interval `index` (`epoch seconds // BASE_S`)."""
        key = index // self.scale
        held = self.slots.get(key)
        self.slots[key] = slot if held is None else held.merged(slot)
        while len(self.slots) > MAX_SLOTS:
            self._coarsen()

    def _coarsen(self) -> None:
        self.scale *= 2
        merged: dict[int, Slot] = {}
        for key, slot in sorted(self.slots.items()):
            held = merged.get(key // 2)
            merged[key // 2] = slot if held is None else held.merged(slot)
        self.slots = merged

    def points(self, started_at: float, ended_at: float | None = None) -> list[Point]:
        """The slots in time order, relative to the run's start; a slot the run's start or end
        cuts is as wide as the part inside the run, so its rate is not understated."""
        width, found = self.width_s, []
        for key, slot in sorted(self.slots.items()):
            start = max(key * width, started_at)
            end = (key + 1) * width if ended_at is None else min((key + 1) * width, ended_at)
            found.append(
                Point(
                    at_s=start - started_at,
                    width_s=max(end - start, BASE_S / 10),
                    requests=slot.requests,
                    failures=slot.failures,
                    codes=dict(slot.codes),
                    p50=slot.percentile_ms(50),
                    p95=slot.percentile_ms(95),
                    p99=slot.percentile_ms(99),
                )
            )
        return found

    def whole(self) -> Slot:
        """Every slot added up: the run's latency distribution."""
        total = Slot()
        for slot in self.slots.values():
            total = total.merged(slot)
        return total


@dataclass(frozen=True, slots=True)
class Point:
    """One interval of one entry, as the charts draw it (latencies in ms)."""

    at_s: float
    width_s: float
    requests: int
    failures: int
    codes: dict[str, int]
    p50: float
    p95: float
    p99: float


def distribution(slot: Slot, per_octave: int = 4) -> list[tuple[float, float, int]]:
    """The latency histogram as (from ms, to ms, count) bars, `per_octave` bars per doubling."""
    bars: Counter[int] = Counter()
    for lower, count in zip(slot.keys, slot.counts, strict=True):
        shift = max(0, lower.bit_length() - per_octave.bit_length())
        bars[(lower >> shift) << shift] += count
    return [
        (lower / 1000, (lower + (1 << max(0, lower.bit_length() - per_octave.bit_length()))) / 1000, n)
        for lower, n in sorted(bars.items())
    ]
