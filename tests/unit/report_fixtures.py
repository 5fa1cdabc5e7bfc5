"""Synthetic runs for the report tests: a summary and a time series, no Locust."""

from __future__ import annotations

import random

from authload.report import Figures, RunSummary, Slot, Timeline, evaluate
from authload.report._timeseries import bucket
from authload.scenario import parse_threshold

STEPS = ("session_check", "login_auth_token", "logout")
FLOWS = ("returning",)
STARTED_AT = 1_790_000_000.0  # epoch seconds, on a whole second


def figures(requests: int = 1000, failures: int = 0, p95: float = 120.0, rps: float = 50.0) -> Figures:
    codes = {"ERR_X": failures} if failures else {}
    return Figures(requests, failures, 50.0, 100.0, p95, 150.0, 200.0, rps, codes)


def summary(rules: dict[str, str], step: Figures | None = None, status: str = "completed") -> RunSummary:
    step = step or figures()
    targets = {*STEPS, *FLOWS, "total"}
    parsed = [parse_threshold(key, rule, targets) for key, rule in rules.items()]
    steps = dict.fromkeys(STEPS, step)
    cycles = dict.fromkeys(FLOWS, step)
    return RunSummary(
        run_id="20261128T000000Z-abcd",
        scenario="quick",
        scenario_file="scenarios/quick.yaml",
        environment="mock",
        backend="mock",
        started_at="2026-11-28T00:00:00Z",
        duration_s=20.0,
        steps=steps,
        cycles=cycles,
        total=step,
        verdicts=evaluate(parsed, steps, cycles, step),
        status=status,
    )


def slot(latencies_us: list[int], failures: int = 0, code: str = "ERR_X") -> Slot:
    counts: dict[int, int] = {}
    for value in latencies_us:
        counts[bucket(value)] = counts.get(bucket(value), 0) + 1
    return Slot.of(counts, failures, {code: failures} if failures else {})


def series(seconds: int = 20, per_second: int = 50, seed: int = 1) -> dict[tuple[str, str], Timeline]:
    """Every step and flow, `per_second` requests a second around 10 ms, a few failures."""
    rng = random.Random(seed)
    found: dict[tuple[str, str], Timeline] = {}
    first = int(STARTED_AT)
    for key in [("step", name) for name in STEPS] + [("cycle", name) for name in FLOWS]:
        timeline = found[key] = Timeline()
        for second in range(seconds):
            values = [int(rng.lognormvariate(9.2, 0.4)) for _ in range(per_second)]
            timeline.add(first + second, slot(values, failures=second % 5 == 0))
    return found
