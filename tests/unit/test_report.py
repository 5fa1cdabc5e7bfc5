"""Verdicts, the console table, JUnit XML and the redaction of written files."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from authload.report import EMPTY, Figures, RunSummary, console_table, evaluate, write_reports
from authload.scenario import parse_threshold

TARGETS = {"login_auth_token", "returning", "total"}


def figures(requests: int = 100, failures: int = 0, p95: float = 120.0) -> Figures:
    return Figures(
        requests, failures, 50.0, 100.0, p95, 150.0, 200.0, 10.0, {"ERR_X": failures} if failures else {}
    )


def summary(verdict_rules: dict[str, str], step: Figures, status: str = "completed") -> RunSummary:
    rules = [parse_threshold(key, rule, TARGETS) for key, rule in verdict_rules.items()]
    steps = {"login_auth_token": step}
    cycles = {"returning": step}
    return RunSummary(
        run_id="20261128T000000Z-abcd",
        scenario="t",
        scenario_file="s.yaml",
        environment="mock",
        backend="mock",
        started_at="2026-11-28T00:00:00Z",
        duration_s=10.0,
        steps=steps,
        cycles=cycles,
        total=step,
        verdicts=evaluate(rules, steps, cycles, step),
        status=status,
    )


def test_verdicts_and_exit_codes() -> None:
    good = summary({"login_auth_token.p95": "< 250ms", "total.error_rate": "< 1%"}, figures())
    assert good.passed and good.exit_code == 0
    bad = summary({"login_auth_token.p95": "< 100ms"}, figures())
    assert not bad.passed and bad.exit_code == 1
    assert bad.verdicts[0].measured == 120.0
    failing = summary({"total.error_rate": "< 1%"}, figures(failures=5))
    assert failing.verdicts[0].measured == 0.05 and failing.exit_code == 1
    interrupted = summary({}, figures(), status="interrupted")
    assert interrupted.exit_code == 3


def test_rule_on_entry_without_requests_fails_except_requests_rules() -> None:
    result = summary({"returning.p95": "< 1s", "returning.requests": ">= 0"}, EMPTY)
    assert [v.passed for v in result.verdicts] == [False, True]
    assert result.verdicts[0].measured is None


def test_console_table_has_every_entry_and_verdict() -> None:
    text = console_table(summary({"login_auth_token.p95": "< 100ms"}, figures(failures=2)))
    assert "login_auth_token" in text and "returning" in text and "steps on the wire" in text
    assert "login_auth_token.p95 < 100ms: 120ms FAIL" in text
    assert "ERR_X x2" in text and "verdict: FAIL (exit code 1)" in text


def test_written_files_and_junit(tmp_path: Path) -> None:
    result = summary({"login_auth_token.p95": "< 100ms", "total.error_rate": "< 1%"}, figures())
    result.error = (
        "leaked key 0123456789abcdef0123456789abcdef01234567 "
        "and token u1_1630306819c3027ce530b2367f3c97b4106f0cb8"
    )
    path = write_reports(result, tmp_path / "run", secrets=["supersecretvalue"])
    data = json.loads(path.read_text())
    assert data["verdict"] == "fail" and data["exit_code"] == 1
    assert data["steps"]["login_auth_token"]["p95"] == 120.0
    assert data["thresholds"][0] == {
        "threshold": "login_auth_token.p95",
        "rule": "< 100ms",
        "measured": 120.0,
        "limit": 100.0,
        "unit": "ms",
        "passed": False,
    }
    suite = ET.parse(tmp_path / "run" / "junit.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    for name in ("summary.json", "junit.xml", "summary.md"):
        text = (tmp_path / "run" / name).read_text()
        assert "0123456789abcdef" not in text and "c3027ce530b2367f" not in text


def test_console_sums_error_codes_across_steps() -> None:
    result = summary({}, figures(failures=2))
    result.steps["logout"] = figures(failures=3)
    assert "errors by code: ERR_X x5" in console_table(result)
