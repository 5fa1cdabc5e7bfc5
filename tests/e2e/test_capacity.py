"""`authload capacity` against the mock's capacity fault (the truth is known) and a starved generator.

Short holds keep each search well under a minute; the rates are placed so that no probe
lands on the injected capacity itself (where the verdict would be a coin toss): 200/s and
250/s are under it, 300/s and 400/s over it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from authload.commands._schema import summary_schema

from .conftest import only_run, run_cli

pytestmark = pytest.mark.e2e
CAPACITY = 270  # logins per second the mock serves
SCENARIO = """\
name: capacity
identities: {count: 12, uid_prefix: cap-}
load: {users: 1, run_time: 1s}
flows:
  returning:
    steps: [login_auth_token, logout]
thresholds:
  login_auth_token.p95: "< 25ms"
  total.error_rate: "< 1%"
  capacity.max_rate: ">= 200/s"
"""
SHORT = ["--from", "200/s", "--hold", "2s", "--settle", "0.5s", "--precision", "20%"]


def _files(tmp_path: Path, fault: str) -> list[str]:
    (tmp_path / "s.yaml").write_text(SCENARIO)
    (tmp_path / "cfg").mkdir()
    env = f"name: limited\nbackend: mock\nmock:\n  faults:\n    - {fault}\n"
    (tmp_path / "cfg" / "limited.yaml").write_text(env)
    return [str(tmp_path / "s.yaml"), "--env", "limited", "--config-dir", str(tmp_path / "cfg")]


def _search(tmp_path: Path, fault: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    args = [*_files(tmp_path, fault), "--report-dir", str(tmp_path / "r"), *extra]
    result = run_cli("capacity", *args, timeout=150)
    summary: dict[str, Any] = json.loads((only_run(tmp_path / "r") / "summary.json").read_text())
    return result.returncode, summary, result.stdout + result.stderr


def _found_the_capacity(code: int, summary: dict[str, Any], output: str, run: Path) -> None:
    found = summary["capacity"]
    assert code == 0, output[-3000:]
    assert found["limited_by"] == "backend"
    # within the precision of the truth, and the rate above it broke a rule
    assert abs(found["max_rate"] - CAPACITY) / CAPACITY <= found["precision"], found
    assert found["max_rate"] < found["first_failing_rate"] <= found["max_rate"] * (1 + found["precision"])
    assert found["limiting_rule"] in ("login_auth_token.p95 < 25ms", "total.error_rate < 1%")
    jsonschema.Draft202012Validator(summary_schema()).validate(summary)
    probes = found["probes"]
    assert [p["rate"] for p in probes] == [200, 400, 300, 250]  # grow, then bisect to 20%
    assert len(list((run / "probes").iterdir())) == len(probes)
    for probe in probes:
        # each hold is judged alone: the settle's arrivals are not in its figures
        probe_summary = json.loads((run / "probes" / probe["run_id"] / "summary.json").read_text())
        assert probe_summary["arrivals"]["scheduled"] == pytest.approx(probe["rate"] * 2, abs=1)
        assert probe_summary["run"]["load"]["measure_from_s"] == 0.5
        assert not (run / "probes" / probe["run_id"] / "locust_stats.json").exists()
        assert probe["verdict"] == ("pass" if probe["rate"] < CAPACITY else "fail")
    # the verdicts at the rate found: the SLOs, and capacity.max_rate against it
    verdicts = {v["threshold"]: v for v in summary["thresholds"]}
    assert verdicts["capacity.max_rate"]["passed"] and verdicts["capacity.max_rate"]["measured"] == 250
    junit = (run / "junit.xml").read_text()
    assert 'name="capacity.max_rate"' in junit and 'name="login_auth_token.p95"' in junit
    html = (run / "authload.html").read_text()
    assert "max 250/s" in html and "fails 300/s" in html and html.count("<svg") == 3
    assert summary["cleanup"] == {"deleted": 12, "left": []}  # the pool, made once, deleted once
    assert "capacity 250/s (first failing 300/s" in output


def test_the_search_finds_the_injected_capacity(tmp_path: Path) -> None:
    fault = f"{{kind: capacity, route: me.login, rate: {CAPACITY}, queue_ms: 50}}"
    code, summary, output = _search(tmp_path, fault, *SHORT)
    _found_the_capacity(code, summary, output, only_run(tmp_path / "r"))
    assert summary["generator"]["cpu"].keys() == {"local"}


def test_the_search_with_worker_processes(tmp_path: Path) -> None:
    fault = f"{{kind: capacity, route: me.login, rate: {CAPACITY}, queue_ms: 50}}"
    code, summary, output = _search(tmp_path, fault, *SHORT, "--processes", "2")
    _found_the_capacity(code, summary, output, only_run(tmp_path / "r"))
    assert len(summary["generator"]["cpu"]) == 3  # two workers and the master
    assert summary["lost_workers"] == [] and len(summary["workers"]) == 2


def test_a_starved_generator_is_not_the_backends_capacity(tmp_path: Path) -> None:
    # one user, 20 ms a login: about 40 cycles a second at most, whatever the backend could do
    code, summary, output = _search(
        tmp_path, "{kind: latency, route: me.login, ms: 20}", "--max-users", "1", *SHORT
    )
    found = summary["capacity"]
    assert code == 3, output[-3000:]
    assert found["limited_by"] == "generator" and summary["verdict"] == "fail"
    (probe,) = found["probes"]
    assert probe["verdict"] == "generator" and probe["dropped"] > 0
    assert any("--max-users" in limit for limit in probe["generator_limits"])
    assert 20 < found["max_rate"] < 60  # what it delivered: a lower bound, said to be one
    assert "LIMITED BY THE LOAD GENERATOR" in output and "at least" in found["advice"]
    verdicts = {v["threshold"]: v for v in summary["thresholds"]}
    assert not verdicts["capacity.max_rate"]["passed"]  # a lower bound proves no floor
    assert "<error" in (only_run(tmp_path / "r") / "junit.xml").read_text()


def test_a_mistake_in_the_options_is_exit_2(tmp_path: Path) -> None:
    files = _files(tmp_path, "{kind: latency, route: me.login, ms: 1}")
    bad_rule = run_cli("capacity", *files, "--slo", "nosuch.p95 < 1ms")
    assert bad_rule.returncode == 2 and "--slo 'nosuch.p95 < 1ms'" in bad_rule.stderr
    backwards = run_cli("capacity", *files, "--from", "100/s", "--to", "10/s")
    assert backwards.returncode == 2 and "0 < from <= to" in backwards.stderr
    assert not (tmp_path / "r").exists()


def test_a_plain_run_skips_the_capacity_rule(tmp_path: Path) -> None:
    files = _files(tmp_path, "{kind: latency, route: me.login, ms: 1}")
    result = run_cli("run", *files, "--report-dir", str(tmp_path / "r"))
    summary = json.loads((only_run(tmp_path / "r") / "summary.json").read_text())
    verdicts = {v["threshold"]: v for v in summary["thresholds"]}
    assert verdicts["capacity.max_rate"]["skipped"] == "judged by authload capacity"
    assert result.returncode == 0, result.stderr[-2000:]
