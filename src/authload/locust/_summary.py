"""Turn what the recorder saw into the report's plain figures."""

from __future__ import annotations

import time

from ..report import COMPLETED, ERROR, INTERRUPTED, Figures, RunSummary, evaluate
from ..scenario import LOCAL_STEPS
from ._metrics import CYCLE, STEP, Series
from ._plan import RunState


def _figures(series: Series, seconds: float) -> Figures:
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
    )


def _total(steps: list[Series]) -> Series:
    total = Series()
    for series in steps:
        total.histogram.add(series.histogram)
        total.failures += series.failures
        total.error_codes.update(series.error_codes)
    return total


def build_summary(state: RunState) -> RunSummary:
    """Figures per step (in scenario order), per flow cycle and in total, with verdicts."""
    assert state.plan is not None
    plan, series = state.plan, state.recorder.series
    ended = state.stopped_at or time.time()  # not the reporting's own waits
    seconds = max(ended - state.started_at, 1e-9) if state.started_at else 0.0
    order = [step.name for flow in plan.scenario.flows.values() for step in flow.steps]
    step_names = sorted({name for kind, name in series if kind == STEP}, key=order.index)
    steps = {name: _figures(series[(STEP, name)], seconds) for name in step_names}
    cycles = {
        name: _figures(series[(CYCLE, name)], seconds)
        for name in plan.scenario.flows
        if (CYCLE, name) in series
    }
    wire_steps = [series[(STEP, name)] for name in step_names if name not in LOCAL_STEPS]
    total = _figures(_total(wire_steps), seconds)
    status = ERROR if state.fatal else (INTERRUPTED if state.interrupted else COMPLETED)
    return RunSummary(
        run_id=plan.run_id,
        scenario=plan.scenario.name,
        scenario_file=plan.scenario_file,
        environment=plan.environment_name,
        backend=plan.backend,
        started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(state.started_at or time.time())),
        duration_s=seconds,
        steps=steps,
        cycles=cycles,
        total=total,
        verdicts=evaluate(plan.scenario.parsed_thresholds(), steps, cycles, total),
        status=status,
        error=state.fatal or ("interrupted before the planned run time" if state.interrupted else None),
    )


__all__ = ["build_summary"]
