"""Turn what the recorder saw into the report's plain figures: `build_summary(RunFacts)`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from ..scenario import LOCAL_STEPS, Scenario
from ._figures import Figures
from ._open_model import figures_of, open_model_report
from ._recorder import CLEANUP, CORRECTNESS, CYCLE, HTTP, RETRIED, SKIPPED, STEP, Recorder, Series
from ._summary import COMPLETED, ERROR, INTERRUPTED, RunSummary

INCOMPLETE = "incomplete"  # a worker was lost: figures are missing (exit 3, like any unfinished run)
MAX_ID_LENGTH = 80  # worker ids come from the worker: keep what is written of them short


@dataclass
class RunFacts:
    """What a process knows of its run, all a summary needs (the master's: the whole run's)."""

    run_id: str
    scenario: Scenario
    scenario_file: str
    environment: str
    backend: str
    base_urls: dict[str, str]
    recorder: Recorder
    started_at: float
    stopped_at: float = 0.0
    fatal: str | None = None
    interrupted: bool = False
    lost_workers: dict[str, float] = field(default_factory=dict)  # worker id -> when it was lost
    distributed: bool = False
    rejected_workers: set[str] = field(default_factory=set)
    provisioning_requests: int = 0
    stalls: list[tuple[float, float, int]] = field(default_factory=list)  # (from, to, in flight), epoch s
    load: dict[str, Any] = field(default_factory=dict)  # what was asked: users or rate, stages, ...


def short(worker_id: Any) -> str:
    """A worker id as written in reports and logs (at most `MAX_ID_LENGTH` characters)."""
    return str(worker_id)[:MAX_ID_LENGTH]


def _apart(series: dict[tuple[str, str], Series], kind: str, names: list[str]) -> Series:
    """Skipped steps or correctness failures of `names`, added up."""
    return _total([series[(kind, name)] for name in names if (kind, name) in series])


def _total(steps: list[Series]) -> Series:
    total = Series()
    for series in steps:
        total.histogram.add(series.histogram)
        total.failures += series.failures
        total.error_codes.update(series.error_codes)
        total.connections_opened += series.connections_opened
        total.sum_us += series.sum_us
    return total


def build_summary(state: RunFacts) -> RunSummary:
    """Figures per step (in scenario order), per flow cycle and in total, with verdicts."""
    series = state.recorder.series
    ended = state.stopped_at or time.time()  # not the reporting's own waits
    seconds = max(ended - state.started_at, 1e-9) if state.started_at else 0.0
    order = [step.name for flow in state.scenario.flows.values() for step in flow.steps]
    kinds = (STEP, SKIPPED, CORRECTNESS)
    step_names = sorted({name for kind, name in series if kind in kinds}, key=order.index)
    steps = {
        name: figures_of(
            series.get((STEP, name)) or Series(),
            seconds,
            series.get((SKIPPED, name)),
            series.get((CORRECTNESS, name)),
            series.get((RETRIED, name)),
        )
        for name in step_names
    }
    cycles = {
        name: _cycle(series[(CYCLE, name)], seconds)
        for name in state.scenario.flows
        if (CYCLE, name) in series
    }
    wire_names = [name for name in step_names if name not in LOCAL_STEPS]
    wire_steps = [series[(STEP, name)] for name in wire_names if (STEP, name) in series]
    total = figures_of(
        _total(wire_steps),
        seconds,
        _apart(series, SKIPPED, step_names),
        _apart(series, CORRECTNESS, step_names),
        _apart(series, RETRIED, step_names),
    )
    stalls = merged_stalls(state.stalls, state.started_at)
    total = replace(
        total,
        goodput=sum(figures.goodput for figures in cycles.values()),
        stalled_s=sum(stall["to_s"] - stall["from_s"] for stall in stalls),
    )
    status, error = _status(state)
    verdicts, open_model = open_model_report(state, seconds, steps, cycles, total)
    return RunSummary(
        run_id=state.run_id,
        scenario=state.scenario.name,
        scenario_file=state.scenario_file,
        environment=state.environment,
        backend=state.backend,
        started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(state.started_at or time.time())),
        duration_s=seconds,
        steps=steps,
        cycles=cycles,
        total=total,
        verdicts=verdicts,
        status=status,
        error=error,
        distributed=_distributed(state) if state.distributed else None,
        open_model=open_model,
        http=http_figures(state, seconds),
        stalls=stalls,
        load=state.load,
        generator=generator_figures(state),
    )


BUSY = 0.9  # a process busier than this (share of one core) may be measuring itself


def generator_figures(state: RunFacts) -> dict[str, Any]:
    """summary.json's `generator`: each load-generating process's CPU share over the run (1.0 is
    one core flat out), so a run limited by its own generator does not pass for the backend's."""
    recorder = state.recorder
    if state.distributed:
        cpu = {short(worker): share for worker, share in sorted(recorder.cpu_by_process.items())}
        cpu["master"] = recorder.cpu_share()
    else:
        cpu = {"local": recorder.cpu_share()}
    cpu = {name: round(share, 3) for name, share in cpu.items()}
    busiest = max(cpu.values(), default=0.0)
    return {"cpu": cpu, "cpu_max": busiest, "busy": busiest > BUSY}


def _cycle(series: Series, seconds: float) -> Figures:
    """A flow's cycles, with their goodput: cycles per second that ended well (no error, no
    correctness failure: a cycle that ends on one records its code)."""
    figures = figures_of(series, seconds)
    return replace(figures, goodput=(figures.requests - figures.failures) / seconds if seconds > 0 else 0.0)


def merged_stalls(stalls: list[tuple[float, float, int]], started_at: float) -> list[dict[str, Any]]:
    """Stalls of every process as spans of the run (seconds from its start), overlaps merged:
    a span in which some process had requests in flight and saw none complete."""
    merged: list[list[float]] = []
    for begin, end, in_flight in sorted(stalls):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] = max(merged[-1][2], in_flight)
        else:
            merged.append([begin, end, in_flight])
    origin = started_at or (merged[0][0] if merged else 0.0)
    return [
        {"from_s": round(begin - origin, 3), "to_s": round(end - origin, 3), "in_flight": int(in_flight)}
        for begin, end, in_flight in merged
    ]


def http_figures(state: RunFacts, seconds: float) -> dict[str, Any]:
    """summary.json's `http`: HTTP requests as the backend counts them. `load` by endpoint
    (`METHOD /path/{template}`, with the host it went to: rest, client, app, or a name);
    `provisioning` and `cleanup` (the cleanup's is filled in after it ran): not load."""
    prefixes = {kind: urlsplit(url).path.rstrip("/") for kind, url in state.base_urls.items()}
    found = []
    for (kind, name), series in state.recorder.series.items():
        if kind == HTTP:
            method, host, route = name.split(" ", 2)
            found.append((f"{method} {prefixes.get(host, '')}{route}", host, series))
    keys = [key for key, _, _ in found]
    by_endpoint: dict[str, Any] = {}
    for key, host, series in sorted(found, key=lambda item: item[0]):
        figures = figures_of(series, seconds).to_json()
        entry = {"host": host, "requests": figures["requests"], "failures": figures["failures"]}
        entry["failures_by_code"] = figures["errors_by_code"]
        entry |= {name: figures[name] for name in ("p50", "p90", "p95", "p99", "max", "rps")}
        by_endpoint[key if keys.count(key) == 1 else f"{key} ({host})"] = entry
    load = {
        "requests": sum(entry["requests"] for entry in by_endpoint.values()),
        "failures": sum(entry["failures"] for entry in by_endpoint.values()),
        "by_endpoint": by_endpoint,
    }
    return {
        "load": load,
        "provisioning": {"requests": state.provisioning_requests},
        "cleanup": {"requests": state.recorder.phase_requests[CLEANUP]},
    }


def _status(state: RunFacts) -> tuple[str, str | None]:
    if state.fatal:
        return ERROR, state.fatal
    if state.lost_workers:
        lost = ", ".join(short(worker) for worker in sorted(state.lost_workers))
        return INCOMPLETE, f"lost {len(state.lost_workers)} worker(s) before their final figures: {lost}"
    if state.interrupted:
        return INTERRUPTED, "interrupted before the planned run time"
    return COMPLETED, None


def _distributed(state: RunFacts) -> dict[str, Any]:
    """Per worker: its HTTP requests (they add up to `http.load.requests`) and its steps on the
    wire (to `total.requests`); lost and rejected workers."""
    workers = {
        short(worker): {
            "requests": sum(n for (kind, _), n in counts.items() if kind == HTTP),
            "steps": sum(n for (kind, name), n in counts.items() if kind == STEP and name not in LOCAL_STEPS),
        }
        for worker, counts in sorted(state.recorder.by_worker.items())
    }
    lost = [
        {"id": short(worker), "at": _iso(at)}
        for worker, at in sorted(state.lost_workers.items(), key=lambda item: item[1])
    ]
    rejected = sorted(short(worker) for worker in state.rejected_workers)
    return {"workers": workers, "lost_workers": lost, "rejected_workers": rejected}


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"


__all__ = ["build_summary"]
