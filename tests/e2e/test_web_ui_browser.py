"""`authload ui` driven in headless Chromium (Debian's package, Playwright for Python pointed at it).

One UI against a standalone mock: start from the form by choosing a scenario (its `load` fills
the form), see per-step rows and the authload tab fill, stop, see the verdict and its report
links; then start a broken scenario and see its file:line error, with no request sent (the
mock's counters). Screenshots of each state go to the test's folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from authload.mock import MockConfig, MockProcess

from .conftest import QUICK, ROOT
from .test_web_ui import free_port, wait_for

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LONG = QUICK.replace("run_time: 2s", "run_time: 30s").replace(
    "users: 4, spawn_rate: 4", "users: 3, spawn_rate: 3"
)
OTHER = QUICK.replace("name: quick", "name: other").replace(
    "users: 4, spawn_rate: 4", "users: 7, spawn_rate: 5"
)
BROKEN = QUICK.replace("spawn_rate: 4,", "spawn_rate: 4, surge: 9,")  # an unknown field, line 3


def _sync_api() -> Any:
    if not CHROMIUM.exists():
        pytest.skip("no browser: install Debian's chromium (apt-get install -y chromium) to run this test")
    try:
        from playwright import sync_api
    except ImportError:
        pytest.skip("no Playwright for Python: pip install playwright (its own browser download is not used)")
    return sync_api


def _mock_requests(base_url: str) -> int:
    routes = httpx.get(f"{base_url}/_mock/stats").json()["routes"]
    return sum(int(route["requests"]) for route in routes.values())


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[tuple[str, MockProcess, Path]]:
    """`authload ui` on a free loopback port against a standalone mock; yields (url, mock, reports)."""
    scenarios, config, reports = tmp_path / "scenarios", tmp_path / "cfg", tmp_path / "r"
    scenarios.mkdir()
    config.mkdir()
    (scenarios / "long.yaml").write_text(LONG)
    (scenarios / "other.yaml").write_text(OTHER)
    (scenarios / "broken.yaml").write_text(BROKEN)
    port = free_port()
    with MockProcess(MockConfig()) as mock:
        (config / "standalone.yaml").write_text(
            f"name: standalone\nbackend: mock\nrest_base_url: {mock.base_url}\n"
        )
        command = [
            sys.executable,
            "-m",
            "authload",
            "ui",
            str(scenarios / "other.yaml"),
            "--env",
            "standalone",
        ]
        command += ["--config-dir", str(config), "--report-dir", str(reports), "--web-port", str(port)]
        log = (tmp_path / "ui.log").open("w")
        child = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _up(base), 30)
            yield base, mock, reports
        finally:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            log.close()


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_start_stop_verdict_then_a_broken_start_sends_nothing(
    ui: tuple[str, MockProcess, Path], tmp_path: Path
) -> None:
    sync_api = _sync_api()
    base, mock, reports = ui
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1300, "height": 1000},
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(base + "/")
        options = _start_from_the_form(page, shots)
        run_dir = _stop_and_read_the_verdict(page, shots, base, reports)
        sent = _mock_requests(mock.base_url)
        _start_a_broken_scenario(page, shots, base, options)
        context.close()
    assert _mock_requests(mock.base_url) == sent  # not one request for the refused start
    assert list(reports.iterdir()) == [run_dir]  # and no run of its own
    if os.environ.get("AUTHLOAD_UPDATE_SCREENSHOT"):
        shutil.copy(shots / "2-running.png", ROOT / "docs" / "img" / "web-ui.png")


def _start_from_the_form(page: Any, shots: Path) -> list[str]:
    # The scenario field shows without expanding anything, filled from the command line.
    scenario = page.locator('input[name="scenario"]')
    scenario.wait_for(state="visible")
    page.wait_for_function("document.querySelector('input[name=runTime]').value === '2s'")
    assert page.input_value('input[name="userCount"]') == "7"  # other.yaml's load
    # Choosing a scenario from the list fills users, spawn rate and run time from its load.
    options: list[str] = page.eval_on_selector_all("#authload-scenarios option", "os => os.map(o => o.value)")
    scenario.fill(next(option for option in options if option.endswith("long.yaml")))
    page.wait_for_function("document.querySelector('input[name=runTime]').value === '30s'")
    assert page.input_value('input[name="userCount"]') == "3"
    page.screenshot(path=str(shots / "1-form.png"), full_page=True)
    page.get_by_role("button", name="Start").click()
    # Per-step rows in Locust's table, then the authload tab fills live.
    page.get_by_role("cell", name="login_auth_token", exact=True).first.wait_for()
    page.get_by_role("tab", name="authload").click()
    page.locator('[data-testid="thresholds"] tbody tr').first.wait_for()
    page.locator('[data-testid="chart-login_auth_token"] polyline').first.wait_for(state="attached")
    assert page.get_by_role("cell", name="returning", exact=True).count() == 1  # the cycle's row
    page.screenshot(path=str(shots / "2-running.png"), full_page=True)
    return options


def _stop_and_read_the_verdict(page: Any, shots: Path, base: str, reports: Path) -> Path:
    # Once the verdict is in, the page reloads once, so Locust's table shows the final counts.
    with page.expect_event("load", timeout=60_000):
        page.get_by_role("button", name="Stop").click()
    verdict = page.locator('[data-testid="verdict"]')
    verdict.wait_for()
    assert "Verdict: PASS" in verdict.inner_text()
    page.screenshot(path=str(shots / "3-verdict.png"), full_page=True)
    (run_dir,) = reports.iterdir()
    wait_for(lambda: "cleanup" in json.loads((run_dir / "summary.json").read_text()), 30)
    summary = json.loads((run_dir / "summary.json").read_text())
    link = page.locator('[data-testid="files"] a', has_text="summary.json").get_attribute("href")
    assert link is not None and run_dir.name in link
    served = httpx.get(base + "/" + link.removeprefix("./")).json()
    assert served["run_id"] == summary["run_id"] == run_dir.name
    assert httpx.get(f"{base}/authload/reports/{run_dir.name}/..%2Fui.log").status_code == 404
    # Locust's Aggregated row counts what the backend received: summary.json's HTTP requests.
    page.get_by_role("tab", name="statistics").click()
    cells = page.get_by_role("row").filter(has_text="Aggregated").locator("td").all_inner_texts()
    assert int(cells[2]) == summary["http"]["load"]["requests"] > 0, cells
    assert int(cells[3]) == summary["http"]["load"]["failures"], cells
    return run_dir


def _start_a_broken_scenario(page: Any, shots: Path, base: str, options: list[str]) -> None:
    """Refused with its file:line; nothing spawns, and the previous run's plan is gone."""
    page.get_by_role("button", name="New").click()
    scenario = page.locator('input[name="scenario"]')
    scenario.wait_for(state="visible")
    scenario.fill(next(option for option in options if option.endswith("broken.yaml")))
    page.get_by_role("button", name="Start").click()
    page.get_by_text("broken.yaml:3").first.wait_for()
    page.screenshot(path=str(shots / "4-refused.png"), full_page=True)
    assert httpx.get(base + "/stats/requests").json()["state"] == "stopped"
    assert httpx.get(base + "/authload/state").json()["run"] is None
