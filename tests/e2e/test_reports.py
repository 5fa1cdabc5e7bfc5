"""End-to-end: the report a person opens, the CI outputs, and comparing runs.

Three short runs of one steady scenario on the embedded mock: a base run, the
same setup again, and one whose mock adds 60 ms to every login (a latency
fault). `authload compare` must pass the first pair and flag the second; the
relative threshold (`< +25ms baseline`) must do the same through `--baseline`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from authload import builtin
from authload.commands._schema import summary_schema

from .conftest import only_run, run_cli

pytestmark = pytest.mark.e2e

STEADY = """\
name: steady
identities: {count: 8, uid_prefix: cmp-}
load: {users: 6, spawn_rate: 6, run_time: 2s}
flows:
  returning:
    weight: 3
    steps: [login_auth_token, {pause: 20ms}, logout]
  dev:
    weight: 1
    steps: [login_auth_key, session_check, logout]
thresholds:
  login_auth_token.p95: "< +25ms baseline"
  total.error_rate: "< 1%"
"""
SLOW_MOCK = """\
name: slow
backend: mock
mock:
  faults:
    - {kind: latency, route: me.login, ms: 60}
"""
# A shared CI machine is noisy: these tolerances let CPU contention pass and 60 ms not.
NOISY = ("--tolerance", "50", "--min-delta-ms", "15")


class _Sections(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, int] = {}
        self.fetches: list[str] = []
        self._current = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.fetches += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag == "section" and values.get("data-entry"):
            self._current = values["data-entry"] or ""
            self.charts[self._current] = 0
        elif tag == "svg" and self._current:
            self.charts[self._current] += 1


def _run(tmp_path: Path, name: str, *extra: str, env: dict[str, str] | None = None) -> Path:
    report_dir = tmp_path / name
    command = ("run", str(tmp_path / "steady.yaml"), "--report-dir", str(report_dir), *extra)
    result = run_cli(*command, "--config-dir", str(tmp_path / "cfg"), env=env)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    return only_run(report_dir)


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    (tmp_path / "steady.yaml").write_text(STEADY)
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "slow.yaml").write_text(SLOW_MOCK)
    shutil.copy(builtin.CONFIG / "mock.yaml", tmp_path / "cfg")
    return tmp_path


def test_report_ci_outputs_and_compare(setup: Path) -> None:
    step_summary = setup / "github_step_summary.md"
    base = _run(setup, "base", env={"GITHUB_STEP_SUMMARY": str(step_summary)})
    data = json.loads((base / "summary.json").read_text())
    assert data["exit_code"] == 0, data
    jsonschema.Draft202012Validator(summary_schema()).validate(data)
    relative = data["thresholds"][0]
    assert relative["skipped"] == "no baseline given" and relative["passed"]

    # authload.html: a section with its four charts for every step and flow, nothing fetched
    page, html = _Sections(), (base / "authload.html").read_text()
    page.feed(html)
    expected = {f"step-{n}" for n in data["steps"]} | {f"cycle-{n}" for n in data["cycles"]}
    assert expected == {
        "step-login_auth_token",
        "step-logout",
        "step-login_auth_key",
        "step-session_check",
        "cycle-returning",
        "cycle-dev",
    }
    assert page.charts == dict.fromkeys(expected, 4) and page.fetches == []
    intervals = [int(n) for n in re.findall(r"interval 1 s, (\d+) intervals", html)]
    assert len(intervals) == len(expected) and min(intervals) >= 2  # over time, not one lump

    # the job summary got the verdict first
    assert step_summary.read_text().startswith("## PASS: 1 threshold held, 1 skipped\n")

    same = _run(setup, "same", "--baseline", str(base))
    slow = _run(setup, "slow", "--env", "slow", "--baseline", str(base / "summary.json"))
    assert json.loads((same / "summary.json").read_text())["exit_code"] == 0
    slow_data = json.loads((slow / "summary.json").read_text())
    assert slow_data["exit_code"] == 1 and not slow_data["thresholds"][0]["passed"]
    junit = (slow / "junit.xml").read_text()
    assert 'message="p95 ' in junit and "ms &gt; " in junit

    passed = run_cli("compare", str(base), str(same), *NOISY)
    assert passed.returncode == 0, passed.stdout
    assert "OK: no regression" in passed.stdout
    failed = run_cli("compare", str(base), str(slow / "summary.json"), *NOISY)
    assert failed.returncode == 1, failed.stdout
    assert "| login_auth_token | p95 |" in failed.stdout and "REGRESSION" in failed.stdout


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium not installed")
def test_the_report_renders_in_a_browser(tmp_path: Path) -> None:
    (tmp_path / "steady.yaml").write_text(STEADY.replace("2s", "1s"))
    (tmp_path / "cfg").mkdir()
    shutil.copy(builtin.CONFIG / "mock.yaml", tmp_path / "cfg")
    run = _run(tmp_path, "r")
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            (run / "authload.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for name in json.loads((run / "summary.json").read_text())["steps"]:
        assert f'data-entry="step-{name}"' in dom
    assert dom.count("<svg") >= 4 * 6


def test_an_unreadable_baseline_is_exit_2_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "steady.yaml").write_text(STEADY)
    result = run_cli("run", str(tmp_path / "steady.yaml"), "--baseline", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "not a readable summary.json" in result.stderr
    assert "Traceback" not in result.stderr
