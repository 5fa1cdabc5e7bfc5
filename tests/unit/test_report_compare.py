"""`authload compare` and thresholds relative to a baseline: what counts as a regression."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from authload.commands.cli import main
from authload.report import Figures, Tolerance, compare, evaluate, summary_json
from authload.scenario import parse_threshold

from .report_fixtures import figures, summary


def entry(requests: int = 1000, p95: float = 20.0, failures: int = 0, rps: float = 50.0) -> Figures:
    return Figures(requests, failures, p95 / 2, p95 * 0.8, p95, p95 * 1.2, p95 * 2, rps)


def flags(base: Figures, new: Figures) -> dict[str, str]:
    return {c.metric: c.flag for c in compare({"s": base}, {"s": new}, Tolerance())}


def test_same_figures_within_tolerance_pass() -> None:
    assert set(flags(entry(p95=20.0), entry(p95=21.5, rps=47.0)).values()) == {""}


def test_latency_regression_needs_relative_and_absolute_change() -> None:
    assert flags(entry(p95=20.0), entry(p95=40.0))["p95"] == "WORSE"
    assert flags(entry(p95=1.0), entry(p95=2.5))["p95"] == ""  # +150% of nothing: under 2 ms
    assert flags(entry(p95=40.0), entry(p95=20.0))["p95"] == "better"


def test_few_requests_are_not_judged() -> None:
    few = flags(entry(requests=50, p95=20.0), entry(requests=50, p95=80.0, failures=40))
    assert set(few.values()) == {"too few requests"}
    tails = flags(entry(requests=500, p95=20.0), entry(requests=500, p95=80.0))
    assert tails["p95"] == "WORSE" and tails["p99"] == "too few requests"  # p99 needs 1,000


def test_rate_and_error_rate_regressions() -> None:
    assert flags(entry(rps=50.0), entry(rps=30.0))["rps"] == "WORSE"
    assert flags(entry(), entry(failures=20))["error_rate"] == "WORSE"
    assert flags(entry(), entry(failures=4))["error_rate"] == ""  # 0.4 pp, 4 failures: noise


def _write(path: Path, step: Figures) -> Path:
    path.mkdir()
    (path / "summary.json").write_text(json.dumps(summary_json(summary({}, step))))
    return path


def test_cli_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "job.md"))
    base = _write(tmp_path / "base", figures(p95=20.0))
    same = _write(tmp_path / "same", figures(p95=20.5))
    slow = _write(tmp_path / "slow", figures(p95=60.0))
    assert main(["compare", str(base), str(same)]) == 0
    assert "OK: no regression" in capsys.readouterr().out
    assert main(["compare", str(base), str(slow / "summary.json")]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "| login_auth_token | p95 | 20.0ms | 60.0ms | +200.0% | WORSE |" in out
    job = (tmp_path / "job.md").read_text()
    assert job.startswith("### OK: no regression") and "\n### REGRESSION: " in job
    assert main(["compare", str(base), str(tmp_path / "missing")]) == 2
    assert "not a readable summary.json" in capsys.readouterr().err


def test_relative_thresholds_take_their_limit_from_the_baseline() -> None:
    targets = {"login_auth_token", "total"}
    rules = [
        parse_threshold("login_auth_token.p95", "< +10% baseline", targets),
        parse_threshold("login_auth_token.p99", "<= +5ms baseline", targets),
    ]
    steps = {"login_auth_token": entry(p95=30.0)}  # p99 36 ms
    base = {"login_auth_token": entry(p95=25.0)}  # p95 25 -> limit 27.5; p99 30 -> limit 35
    p95, p99 = evaluate(rules, steps, {}, steps["login_auth_token"], base)
    assert (p95.passed, p95.limit, p95.comparison()) == (False, pytest.approx(27.5), "p95 30.0ms > 27.5ms")
    assert (p99.passed, p99.limit) == (False, 35.0)
    held = evaluate(rules, {"login_auth_token": entry(p95=26.0)}, {}, entry(), base)
    assert [v.passed for v in held] == [True, True]
    (skipped, _) = evaluate(rules, steps, {}, entry(), None)
    assert skipped.passed and skipped.skipped == "no baseline given" and "SKIP" in skipped.describe()


@pytest.mark.parametrize(
    ("rule", "message"),
    [("< +10ms baseline", "in percent"), ("< 10% baseline", "must read like"), ("== +1% baseline", "must")],
)
def test_bad_relative_rules(rule: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_threshold("total.error_rate", rule, {"total"})
