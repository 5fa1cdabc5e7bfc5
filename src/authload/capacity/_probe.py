"""One probe's result, read from the summary.json of its run: did every rule hold over the hold,
and was any shortfall the load generator's rather than the backend's? No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, GENERATOR, ERROR = "pass", "fail", "generator", "error"
START_DELAY_LIMIT_MS = 100.0  # arrivals this late (p95) mean the scheduler fell behind
DELIVERED_SHARE = 0.95  # below this share of the asked rate, the generator did not deliver it


@dataclass
class Probe:
    """What one probe asked and what its hold showed."""

    rate: float
    run_id: str
    verdict: str = ERROR
    achieved_rate: float = 0.0
    duration_s: float = 0.0
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    goodput: float = 0.0
    dropped: int = 0
    p95: float = 0.0
    p99: float = 0.0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    cpu_max: float = 0.0
    start_delay_p95: float = 0.0
    generator_limits: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def held(self) -> bool:
        return self.verdict == PASS

    @property
    def broken_rule(self) -> str | None:
        """The first rule that broke (`login_auth_token.p95 < 250ms`), if one did."""
        return next((key for key, rule in self.rules.items() if not rule["passed"]), None)

    def line(self) -> str:
        """The console's line for this probe."""
        head = f"{self.rate:g}/s: delivered {self.achieved_rate:.1f}/s over {self.duration_s:.0f} s"
        figures = (
            f"p95 {self.p95:.1f}ms, p99 {self.p99:.1f}ms, errors {self.error_rate * 100:.2f}%, "
            f"goodput {self.goodput:.1f}/s"
        )
        if self.verdict == ERROR:
            return f"{head}: the probe did not complete ({self.error})"
        if self.verdict == GENERATOR:
            return f"{head}, {figures}: LIMITED BY THE LOAD GENERATOR ({'; '.join(self.generator_limits)})"
        if self.verdict == FAIL:
            return f"{head}, {figures}: FAIL ({self.broken_rule})"
        return f"{head}, {figures}: PASS"

    def to_json(self) -> dict[str, Any]:
        data = {
            "rate": self.rate,
            "achieved_rate": round(self.achieved_rate, 3),
            "duration_s": round(self.duration_s, 3),
            "verdict": self.verdict,
            "rules": self.rules,
            "goodput": round(self.goodput, 3),
            "dropped": self.dropped,
            "p95": self.p95,
            "p99": self.p99,
            "error_rate": self.error_rate,
            "throttle_rate": self.throttle_rate,
            "cpu_max": self.cpu_max,
            "start_delay_p95": self.start_delay_p95,
            "generator_limits": self.generator_limits,
            "run_id": self.run_id,
        }
        if self.error:
            data["error"] = self.error
        return data


def judge(rate: float, run_id: str, summary: dict[str, Any] | None) -> Probe:
    """The probe at `rate` from its run's summary (None: the run wrote none)."""
    probe = Probe(rate, run_id)
    if summary is None or summary.get("status") != "completed":
        probe.error = (summary or {}).get("error") or "no summary"
        return probe
    total, arrivals = summary["total"], summary.get("arrivals") or {}
    generator = summary.get("generator") or {}
    load = (summary.get("run") or {}).get("load") or {}
    # The hold: arrivals come at the asked rate for this long (the run then lets cycles finish).
    hold = float(load.get("run_time_s", 0)) - float(load.get("measure_from_s", 0))
    probe.duration_s = hold if hold > 0 else float(summary["duration_s"])
    scheduled, started = int(arrivals.get("scheduled", 0)), int(arrivals.get("started", 0))
    probe.achieved_rate = rate * started / scheduled if scheduled else 0.0
    good = sum(int(c["requests"]) - int(c["failures"]) for c in (summary.get("cycles") or {}).values())
    probe.goodput = good / probe.duration_s
    probe.dropped = int(arrivals.get("dropped", 0))
    probe.p95, probe.p99 = float(total["p95"]), float(total["p99"])
    probe.error_rate, probe.throttle_rate = float(total["error_rate"]), float(total.get("throttle_rate", 0))
    probe.cpu_max = float(generator.get("cpu_max", 0.0))
    probe.start_delay_p95 = float((arrivals.get("start_delay_ms") or {}).get("p95", 0.0))
    probe.rules = {
        f"{verdict['threshold']} {verdict['rule']}": {
            "measured": verdict["measured"],
            "limit": verdict["limit"],
            "unit": verdict["unit"],
            "passed": bool(verdict["passed"]),
        }
        for verdict in summary.get("thresholds", [])
        if not verdict.get("skipped")
    }
    held = all(rule["passed"] for rule in probe.rules.values())
    probe.generator_limits = _generator_limits(probe, generator, held)
    probe.verdict = GENERATOR if probe.generator_limits else (PASS if held else FAIL)
    return probe


def _generator_limits(probe: Probe, generator: dict[str, Any], held: bool) -> list[str]:
    """Why the shortfall was the harness's. A busy process or a late scheduler taints any result;
    drops and a short rate do only when the backend kept every rule (a slow backend keeps
    users busy and so drops arrivals too: that is the backend's failure, already judged)."""
    found = []
    if generator.get("busy"):
        busiest = max(generator.get("cpu", {"?": probe.cpu_max}).items(), key=lambda item: item[1])
        found.append(f"process {busiest[0]} used {busiest[1] * 100:.0f}% of a core (add --processes)")
    if probe.start_delay_p95 > START_DELAY_LIMIT_MS:
        found.append(f"arrivals started {probe.start_delay_p95:.0f} ms late (p95): the scheduler fell behind")
    if held and probe.dropped:
        found.append(f"{probe.dropped} arrivals dropped: every user was busy (raise --max-users)")
    if held and probe.achieved_rate < DELIVERED_SHARE * probe.rate:
        found.append(f"delivered {probe.achieved_rate:.1f}/s of the {probe.rate:g}/s asked")
    return found
