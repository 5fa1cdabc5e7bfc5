"""The open model's part of the summary: arrivals, intended-start figures, their verdicts.

summary.json of an `arrival_rate` scenario gets

    "arrivals": {"scheduled", "started", "dropped", "rate", "max_users", "max_wait_s",
                 "start_delay_ms": {p50, p95, p99, max}, "stages": [{stage, arrival_rate,
                 duration_s, scheduled, started, dropped}, ...]}
    "intended": {"basis": ..., "steps": {NAME: figures}, "cycles": {FLOW: figures}}

`steps` and `cycles` keep service time (from each cycle's actual start), so
`NAME.p95` rules mean what they mean in the closed model; `intended.NAME.p95`
rules use the intended-start figures; `arrivals.dropped` / `arrivals.drop_rate`
rules the arrival counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..scenario import Threshold
from ..scenario._load import INTENDED
from ..scenario._thresholds import ARRIVALS
from ._figures import Figures
from ._recorder import ARRIVAL, CYCLE, INTENDED_KINDS, STEP, THROTTLED_CODES, Series
from ._verdict import Verdict, evaluate

if TYPE_CHECKING:
    from ._build import RunFacts

BASIS = (
    "intended: latency from each cycle's intended start (its arrival time): service time plus the "
    "cycle's start delay. steps/cycles: service time, from the actual start. Thresholds NAME.pXX "
    "use service time; intended.NAME.pXX the intended start."
)


def figures_of(
    series: Series,
    seconds: float,
    skipped: Series | None = None,
    wrong: Series | None = None,
    retried: Series | None = None,
) -> Figures:
    """A series as the report's figures (skipped steps, correctness failures, throttled failures
    and retried attempts kept apart)."""
    return Figures(
        requests=series.requests,
        failures=series.failures,
        p50=series.percentile_ms(50),
        p90=series.percentile_ms(90),
        p95=series.percentile_ms(95),
        p99=series.percentile_ms(99),
        max=series.max_ms(),
        rps=series.requests / seconds if seconds > 0 else 0.0,
        errors_by_code=dict(series.error_codes),
        skipped=skipped.requests if skipped is not None else 0,
        correctness_failures=wrong.requests if wrong is not None else 0,
        correctness_by_code=dict(wrong.error_codes) if wrong is not None else {},
        connections_opened=series.connections_opened,
        throttled=sum(n for code, n in series.error_codes.items() if code in THROTTLED_CODES),
        retried=retried.requests if retried is not None else 0,
    )


def _intended(state: RunFacts, seconds: float, kind: str) -> dict[str, Figures]:
    wanted = INTENDED_KINDS[kind]
    return {name: figures_of(s, seconds) for (k, name), s in state.recorder.series.items() if k == wanted}


def _arrivals(state: RunFacts) -> dict[str, Any]:
    load, series = state.scenario.load, state.recorder.series
    stages, everything = [], Series()
    durations = [duration for duration, _, _ in load.arrival_stages()]
    for index, (label, duration) in enumerate(zip(load.stage_labels(), durations, strict=True)):
        entry = series.get((ARRIVAL, str(index + 1))) or Series()
        everything.histogram.add(entry.histogram)
        everything.failures += entry.failures
        scheduled, dropped = entry.requests, entry.failures
        stages.append(
            {
                "stage": index + 1,
                "arrival_rate": label,
                "duration_s": duration,
                "scheduled": scheduled,
                "started": scheduled - dropped,
                "dropped": dropped,
            }
        )
    scheduled, dropped = everything.requests, everything.failures
    return {
        "scheduled": scheduled,
        "started": scheduled - dropped,
        "dropped": dropped,
        "max_users": load.max_users,
        "max_wait_s": load.max_wait,
        "start_delay_ms": {f"p{p:g}": round(everything.percentile_ms(p), 3) for p in (50.0, 95.0, 99.0)}
        | {"max": round(everything.max_ms(), 3)},
        "stages": stages,
    }


def _arrival_verdict(rule: Threshold, arrivals: dict[str, Any]) -> Verdict:
    scheduled, dropped = arrivals["scheduled"], arrivals["dropped"]
    if rule.metric == "dropped":
        return Verdict(rule, float(dropped), rule.holds(float(dropped)))
    if not scheduled:
        return Verdict(rule, None, False)  # nothing arrived: no data, as for any other entry
    rate = dropped / scheduled
    return Verdict(rule, rate, rule.holds(rate))


def open_model_report(
    state: RunFacts, seconds: float, steps: dict[str, Figures], cycles: dict[str, Figures], total: Figures
) -> tuple[list[Verdict], dict[str, Any] | None]:
    """Every rule's verdict, and the summary's `arrivals` and `intended` (None: closed model)."""
    scenario = state.scenario
    rules = scenario.parsed_thresholds()
    if not scenario.load.open_model:
        return evaluate(rules, steps, cycles, total), None
    intended_steps, intended_cycles = _intended(state, seconds, STEP), _intended(state, seconds, CYCLE)
    arrivals = _arrivals(state)
    found = evaluate(
        [rule for rule in rules if rule.target != ARRIVALS],
        {**steps, **{f"{INTENDED}.{name}": f for name, f in intended_steps.items()}},
        {**cycles, **{f"{INTENDED}.{name}": f for name, f in intended_cycles.items()}},
        total,
    )
    by_key = {verdict.threshold.key: verdict for verdict in found}
    verdicts = [
        _arrival_verdict(rule, arrivals) if rule.target == ARRIVALS else by_key[rule.key] for rule in rules
    ]
    extra = {
        "arrivals": arrivals,
        "intended": {
            "basis": BASIS,
            "steps": {name: f.to_json() for name, f in intended_steps.items()},
            "cycles": {name: f.to_json() for name, f in intended_cycles.items()},
        },
    }
    return verdicts, extra


__all__ = ["open_model_report"]
