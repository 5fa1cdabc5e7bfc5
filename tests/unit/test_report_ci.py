"""CI outputs: summary.md leads with the verdict, junit.xml carries values and limits,
summary.json is versioned and valid against its shipped schema, the job summary gets appended."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from authload.commands._schema import summary_schema
from authload.report import SCHEMA_VERSION, junit_xml, markdown, run_meta, summary_json, write_reports
from authload.report._verdict import COUNTS, FRACTIONS, PER_SECOND, SECONDS
from authload.scenario import METRICS

from .report_fixtures import figures, summary


def test_markdown_starts_with_the_verdict_and_states_units() -> None:
    run = summary({"login_auth_token.p95": "< 100ms", "total.error_rate": "< 5%"}, figures(failures=4))
    text = markdown(run)
    assert text.splitlines()[0] == "## FAIL: 1 of 2 thresholds failed (login_auth_token.p95)"
    assert "| login_auth_token.p95 | `< 100ms` | 120ms | < 100ms | FAIL |" in text
    assert "p95 ms" in text and "milliseconds" in text
    assert "| logout | ERR_X | 4 |" in text and "| login_auth_token | ERR_X | 4 |" in text
    passing = markdown(summary({"total.error_rate": "< 5%"}))
    assert passing.startswith("## PASS: 1 threshold held\n") and "No errors." in passing
    interrupted = summary({}, status="interrupted")
    interrupted.error = "interrupted before the planned run time"
    assert markdown(interrupted).startswith("## INTERRUPTED: interrupted before the planned run time")


def test_junit_cases_carry_measured_value_and_limit() -> None:
    run = summary({"login_auth_token.p95": "< 100ms", "total.error_rate": "< 5%"}, figures(p95=412.0))
    suite = ET.fromstring(junit_xml(run))
    failing, passing = suite.findall("testcase")
    failure = failing.find("failure")
    assert failure is not None and failure.get("message", "").startswith("p95 412ms > 100ms")
    props = {p.get("name"): p.get("value") for p in failing.iterfind("properties/property")}
    assert props == {"rule": "< 100ms", "measured": "412", "limit": "100", "unit": "ms"}
    assert passing.find("failure") is None and passing.findtext("system-out") == "error_rate 0.00% < 5.00%"
    assert {p.get("name"): p.get("value") for p in passing.iterfind("properties/property")}["limit"] == "0.05"


def test_step_summary_is_appended_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "step_summary.md"
    target.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    run = summary({"total.error_rate": "< 5%"})
    run.error = "key supersecretvalue"
    write_reports(run, tmp_path / "run", ["supersecretvalue"])
    text = target.read_text()
    assert text.startswith("earlier step\n## PASS: 1 threshold held")
    assert "supersecretvalue" not in text and text.count("### Thresholds") == 1


def test_no_step_summary_without_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    write_reports(summary({}), tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "authload.html",
        "junit.xml",
        "summary.json",
        "summary.md",
    ]


def test_summary_json_is_versioned_and_valid(tmp_path: Path) -> None:
    run = summary({"login_auth_token.p95": "< 100ms", "logout.p95": "< +10% baseline"}, figures(failures=2))
    path = write_reports(run, tmp_path, meta={"locust_version": "2.47.0", "git_commit": None, "load": {}})
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION and data["run"]["locust_version"] == "2.47.0"
    jsonschema.Draft202012Validator(summary_schema()).validate(data)
    broken = summary_json(run)
    broken["steps"]["logout"]["p95"] = "slow"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, summary_schema())


def test_run_metadata_names_the_commit_briefly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
    meta = run_meta({"users": 4})
    assert meta["git_commit"] == "0123456789ab"  # 40 hex digits would read as a key to the redaction
    assert meta["load"] == {"users": 4} and meta["locust_version"]


def test_counts_and_fractions_are_not_shown_as_latencies() -> None:
    run = summary({"total.requests": "> 10", "total.error_rate": "< 5%"})
    text = markdown(run)
    assert "| total.requests | `> 10` | 1000 | > 10 | PASS |" in text
    assert [v.unit for v in run.verdicts] == ["count", "fraction"]
    latency = {"p50", "p90", "p95", "p99", "max"}
    assert set(METRICS) - latency <= {
        *FRACTIONS,
        *COUNTS,
        *PER_SECOND,
        *SECONDS,
    }  # every other metric has a unit
