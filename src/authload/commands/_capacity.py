"""`authload capacity`: find the highest arrival rate the backend sustains, and prove it.

Each probe is a real run: the scenario's flows as an open model at the probe's rate, a
settle that is not judged (`--measure-from`), then the hold, judged against the SLO rules
like any run's thresholds (`authload run`'s Locust child, `--processes` too). Around the probes,
once for the whole search: the embedded mock is started (so the probes share its state and
its capacity fault), the identity pool is provisioned (a private CSV the probes log in from,
deleted at the end, since it holds tokens) and, at the end, deleted. The search itself, and
what a probe's figures mean, are `authload.capacity`'s; the reports, `report._capacity`'s.

Folders: `REPORT_DIR/RUN_ID/` holds the search's summary.json, summary.md, junit.xml and
authload.html; `probes/NN-RATE/` each probe's own reports (hold only).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..capacity import ERROR, GENERATOR, Outcome, Probe, Search, judge, plan_text
from ..common._errors import ConfigError
from ..common._run_id import new_run_id
from ..mock import MockProcess
from ..pool import (
    cleanup_record,
)
from ..report import write_capacity_reports
from ..scenario import Environment, Load, Scenario, environment_path, load_run_files, parse_duration
from ..scenario._thresholds import CAPACITY, Threshold, parse_threshold
from ._capacity_setup import ProbeFiles, SearchPool, probe_environment
from ._config import Config
from ._runner import LOCUST_STATS, check, locust_command, run_child

Say = Callable[[str], None]
MAX_USERS_FLOOR, MAX_USERS_CEILING = 50, 20_000
CYCLE_ALLOWANCE_S = 4.0  # default users per probe: enough for cycles of this long at its rate


@dataclass
class CapacityConfig:
    """What to search and how (the `authload capacity` options)."""

    scenario: str = "login_storm"
    env: str = "mock"
    config_dir: str = "config"
    report_dir: str = "reports"
    slo: list[str] = field(default_factory=list)
    from_rate: str = "10/s"
    to_rate: str = "10000/s"
    hold: str = "20s"
    settle: str = "5s"
    precision: str = "10%"
    max_users: int | None = None
    processes: int | None = None
    allow_auth_key: bool = False
    metrics_port: int | None = None  # each probe serves /metrics there in turn (counters restart)
    metrics_host: str = "127.0.0.1"
    metrics_linger: float | None = None
    locust_args: list[str] = field(default_factory=list)  # Locust's own options, for every probe


@dataclass(frozen=True)
class CapacityResult:
    exit_code: int
    run_id: str
    folder: Path
    summary: dict[str, Any]


def capacity(config: CapacityConfig, say: Say = print) -> CapacityResult:
    """Run the search; returns when its reports are written and its users deleted."""
    run_config = Config(
        scenario=config.scenario,
        env=config.env,
        config_dir=config.config_dir,
        report_dir=config.report_dir,
        allow_auth_key=config.allow_auth_key,
        processes=config.processes,
        metrics_port=config.metrics_port,
        metrics_linger=config.metrics_linger,
        locust_args=config.locust_args,
    )
    check(run_config)  # both files, the hosts' certificates: exit 2 or 3 before anything starts
    scenario, env = load_run_files(
        run_config.scenario, config.env, config.config_dir, allow_auth_key=config.allow_auth_key
    )
    slos, capacity_rules = _rules(config.slo, scenario)
    search, settle, hold = _search(config)
    if config.max_users is not None and config.max_users < 1:
        raise ConfigError(f"--max-users must be at least 1, not {config.max_users}")
    run_id = new_run_id()
    folder = Path(config.report_dir) / run_id
    plan = _plan(config, search, settle, hold, slos)
    say(f"authload capacity {run_id}: {plan['description']}")
    started = time.time()
    outcome = Outcome(search, [], capacity_rules, plan=plan)
    with ExitStack() as stack:
        private = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="authload-capacity-")))
        os.chmod(private, 0o700)  # the pool's tokens go here, never into the report folder
        mock = None
        if env.embedded_mock:
            mock = stack.enter_context(MockProcess(env.mock_config()))
            say(f"mock backend on {mock.base_url} (for every probe)")
        target = env.resolve(mock.base_url if mock else None)
        env_option = probe_environment(env, mock, private, config.env, config.config_dir)
        pool = SearchPool(
            scenario, target, env, folder, run_id, environment_path(config.env, config.config_dir)
        )
        try:
            csv_file = pool.provision(private, say)
            probe_files = ProbeFiles(Path(run_config.scenario), scenario, slos, csv_file, private)
            outcome.interrupted = _probe_all(
                config, outcome, probe_files, env_option, folder, settle, hold, say
            )
        except KeyboardInterrupt:
            outcome.interrupted = True
            say("authload capacity: interrupted; writing what was found")
        finally:
            pool.clean_up(say)
    summary = _summary(outcome, scenario, env, run_config, run_id, started, folder)
    path = write_capacity_reports(summary, folder, [*target.secrets(), *scenario.secrets])
    say(summary["headline"])
    advice = outcome.advice()
    if advice:
        say(f"authload capacity: {advice}")
    say(f"authload: reports in {path.parent}")
    return CapacityResult(outcome.exit_code, run_id, folder, summary)


def _rules(given: list[str], scenario: Scenario) -> tuple[dict[str, str], list[Threshold]]:
    """The SLO rules each probe is judged by (`--slo`, else the scenario's thresholds) and the
    `capacity.max_rate` rules the result is judged by."""
    targets = scenario.threshold_targets()
    rules: dict[str, str] = {}
    for text in given:
        key, _, rule = text.strip().partition(" ")
        try:
            parse_threshold(key, rule.strip(), targets)
        except ValueError as error:
            raise ConfigError(f"--slo {text!r}: {error}") from None
        rules[key] = rule.strip()
    if not given:
        rules = {key: str(rule) for key, rule in (scenario.thresholds or {}).items()}
    capacity_rules = [
        parse_threshold(k, r, targets) for k, r in rules.items() if k.startswith(CAPACITY + ".")
    ]
    slos = {key: rule for key, rule in rules.items() if not key.startswith(CAPACITY + ".")}
    return slos, capacity_rules


def _rate(text: str, option: str) -> float:
    try:
        rate = float(text.strip().removesuffix("/s"))
    except ValueError:
        raise ConfigError(f"{option} {text!r}: a rate reads like 10/s or 10") from None
    if not (math.isfinite(rate) and rate > 0):
        raise ConfigError(f"{option} must be more than 0/s, not {text!r}")
    return rate


def _seconds(text: str, option: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise ConfigError(f"{option}: {error}") from None
    if seconds < 0 or (option == "--hold" and seconds <= 0):
        raise ConfigError(f"{option} must be longer than 0s")
    return seconds


def _search(config: CapacityConfig) -> tuple[Search, float, float]:
    try:
        precision = float(config.precision.strip().removesuffix("%")) / 100
    except ValueError:
        raise ConfigError(f"--precision {config.precision!r}: a percentage, e.g. 10%") from None
    try:
        search = Search(_rate(config.from_rate, "--from"), _rate(config.to_rate, "--to"), precision)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    return search, _seconds(config.settle, "--settle"), _seconds(config.hold, "--hold")


def max_users_for(rate: float, given: int | None) -> int:
    """Virtual users serving a probe's arrivals: given, or enough for cycles of up to
    `CYCLE_ALLOWANCE_S` at that rate (a probe that runs out with every rule held is marked
    generator-limited: raise --max-users)."""
    if given is not None:
        return given
    return min(MAX_USERS_CEILING, max(MAX_USERS_FLOOR, math.ceil(rate * CYCLE_ALLOWANCE_S)))


def _plan(
    config: CapacityConfig, search: Search, settle: float, hold: float, slos: dict[str, str]
) -> dict[str, Any]:
    rules = ", ".join(f"{key} {rule}" for key, rule in slos.items()) or "the default guard"
    description = (
        f"{plan_text(search)}; each probe settles {settle:g} s, then holds {hold:g} s judged by {rules}"
    )
    return {
        "description": description,
        "from": search.start,
        "to": search.stop,
        "precision": search.precision,
        "settle_s": settle,
        "hold_s": hold,
        "slo": slos,
        "max_users": config.max_users,
        "processes": config.processes,
    }


def _probe_all(
    config: CapacityConfig,
    outcome: Outcome,
    files: ProbeFiles,
    env_option: str,
    folder: Path,
    settle: float,
    hold: float,
    say: Say,
) -> bool:
    """Probe until the search ends; True when a probe was interrupted."""
    search = outcome.search
    while (rate := search.next_rate()) is not None:
        index = len(outcome.probes) + 1
        probe = _probe(config, files, env_option, folder, index, rate, settle, hold)
        outcome.probes.append(probe)
        say(f"probe {index}: {probe.line()}")
        if probe.verdict == ERROR:
            return probe.error is not None and "interrupted" in probe.error
        if probe.verdict == GENERATOR:
            search.limited_by_generator()
        else:
            search.record(rate, probe.held)
    return False


def _probe(
    config: CapacityConfig,
    files: ProbeFiles,
    env_option: str,
    folder: Path,
    index: int,
    rate: float,
    settle: float,
    hold: float,
) -> Probe:
    probe_id = f"{index:02d}-{rate:g}ps"
    probes = folder / "probes"
    max_users = max_users_for(rate, config.max_users)
    scenario_file = files.write(probe_id, rate, max_users, settle + hold)
    probe_config = Config(
        scenario=str(scenario_file),
        env=env_option,
        config_dir=config.config_dir,
        report_dir=str(probes),
        allow_auth_key=config.allow_auth_key,
        processes=config.processes,
        run_time=f"{settle + hold:g}s",
        metrics_port=config.metrics_port,
        metrics_host=config.metrics_host,
        metrics_linger=config.metrics_linger,
        locust_args=config.locust_args,
    )
    load = Load(arrival_rate=rate, max_users=max_users, run_time=settle + hold)
    command = locust_command(probe_config, probe_id, load, measure_from=settle)
    (probes / probe_id).mkdir(parents=True, exist_ok=True)
    with (probes / probe_id / "locust.log").open("wb") as output:
        run_child(command, output)
    (probes / probe_id / f"{LOCUST_STATS}.json").unlink(missing_ok=True)  # counted the settle too
    summary_path = probes / probe_id / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else None
    probe = judge(rate, probe_id, summary)
    if summary is None:
        probe.error = f"the probe wrote no summary (see {probes / probe_id / 'locust.log'})"
    return probe


def _summary(
    outcome: Outcome,
    scenario: Scenario,
    env: Environment,
    run_config: Config,
    run_id: str,
    started: float,
    folder: Path,
) -> dict[str, Any]:
    """summary.json: the figures of the probe at the rate found (else the first), the SLO and
    `capacity.max_rate` verdicts at that rate, and the search in `capacity`."""
    found = outcome.max_rate
    shown = next(
        (p for p in outcome.probes if p.rate == found), outcome.probes[0] if outcome.probes else None
    )
    base: dict[str, Any] = {}
    if shown is not None:
        path = folder / "probes" / shown.run_id / "summary.json"
        if path.exists():
            base = json.loads(path.read_text(encoding="utf-8"))
    base.pop("schema_version", None)
    thresholds = [*base.get("thresholds", []), *outcome.rule_verdicts()]
    exit_code = outcome.exit_code
    status = "completed" if outcome.complete else ("interrupted" if outcome.interrupted else "error")
    summary = {
        **base,
        "run_id": run_id,
        "scenario": {"name": scenario.name, "file": run_config.scenario},
        "environment": {"name": env.name, "backend": env.backend},
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 3),
        "status": status,
        "error": None if outcome.complete else outcome.headline(),
        "thresholds": thresholds,
        "verdict": "pass" if exit_code == 0 else "fail",
        "exit_code": exit_code,
        "headline": outcome.headline(),
        "figures_from": shown.run_id if shown is not None else None,
        "capacity": outcome.to_json(),
        "cleanup": cleanup_record(folder),
        "run": {**base.get("run", {}), "load": {"model": "capacity search", **outcome.plan}},
    }
    return summary


__all__ = ["CapacityConfig", "CapacityResult", "capacity", "max_users_for"]
