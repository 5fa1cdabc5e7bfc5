"""Stopping a run the hard ways: `kill -9` of `authload run`, and Ctrl-C pressed twice.

No process of the run may outlive it, and however it stops, a summary is
written and the backend is cleaned up or what is left is recorded. A
standalone mock is the referee: its counters show when load is under way and
how many users are left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from authload import AdminClient, ApiError, MockConfig, MockProcess

from .conftest import ROOT, alive, descendants

pytestmark = pytest.mark.e2e

SAMPLE_USERS = 5  # the mock's seeded users
POOL = """\
name: stopping
identities: {{count: {count}, uid_prefix: stop-, concurrency: 4}}
load: {{users: 4, spawn_rate: 4, run_time: 60s}}
flows:
  returning:
    steps: [login_auth_token, {{pause: 10ms}}, logout]
"""


@pytest.fixture
def slow_mock() -> Iterator[MockProcess]:
    """User creation takes 20 ms, so provisioning a large pool lasts long enough to interrupt."""
    faults = [{"kind": "latency", "route": "users.create", "distribution": "fixed", "ms": 20}]
    with MockProcess(MockConfig(faults=faults)) as mock:  # type: ignore[arg-type]
        yield mock


def _start(tmp_path: Path, mock: MockProcess, count: int) -> subprocess.Popen[str]:
    (tmp_path / "pool.yaml").write_text(POOL.format(count=count))
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "standalone.yaml").write_text(
        f"name: standalone\nbackend: mock\nrest_base_url: {mock.base_url}\n"
    )
    command = [sys.executable, "-m", "authload", "run", str(tmp_path / "pool.yaml")]
    command += ["--env", "standalone", "--config-dir", str(tmp_path / "cfg")]
    command += ["--report-dir", str(tmp_path / "r")]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _stats(mock: MockProcess) -> dict:  # type: ignore[type-arg]
    return httpx.get(f"{mock.base_url}/_mock/stats").json()  # type: ignore[no-any-return]


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def _users_created(mock: MockProcess) -> int:
    return int(_stats(mock)["routes"].get("users.create", {}).get("requests", 0))


def _logins(mock: MockProcess) -> int:
    return int(_stats(mock)["routes"].get("me.login", {}).get("requests", 0))


def _summary(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    (run,) = [path for path in (tmp_path / "r").iterdir() if path.is_dir()]
    return json.loads((run / "summary.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("phase", ["provisioning", "load"])
def test_kill_9_of_authload_run_stops_every_process_and_cleans_up(
    tmp_path: Path, slow_mock: MockProcess, phase: str
) -> None:
    child = _start(tmp_path, slow_mock, count=3000 if phase == "provisioning" else 8)
    try:
        if phase == "provisioning":
            _wait_for(lambda: _users_created(slow_mock) > 20, "provisioning is under way")
        else:
            _wait_for(lambda: _logins(slow_mock) > 20, "the load is under way")
        run_processes = descendants(child.pid)
        assert run_processes, "Locust runs below authload run"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        _wait_for(lambda: not any(alive(pid) for pid in run_processes), "no process of the run is left", 30)
    finally:
        os.killpg(child.pid, signal.SIGKILL) if alive(child.pid) else None
        child.communicate()
    created = _users_created(slow_mock)
    time.sleep(0.5)  # nothing of the run is alive: this only proves no request still trickles in
    assert _users_created(slow_mock) == created, "an orphan kept creating users"
    assert _stats(slow_mock)["store"]["users"] == SAMPLE_USERS, "the orphaned run did not clean up"


class _Lines:
    """A child's stderr, read as it comes, so a test can wait for what the run says."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def saw(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def text(self) -> str:
        self._reader.join(timeout=10)
        return "".join(self.lines)


@pytest.mark.parametrize(
    ("pool", "under_way", "first_taken"),
    [
        (3000, _users_created, "interrupted while provisioning"),
        (8, _logins, "Got SIGTERM signal"),
    ],
    ids=["provisioning", "load"],
)
def test_second_ctrl_c_stops_waiting_but_still_writes_a_summary(
    tmp_path: Path,
    slow_mock: MockProcess,
    pool: int,
    under_way: Callable[[MockProcess], int],
    first_taken: str,
) -> None:
    child = _start(tmp_path, slow_mock, count=pool)
    assert child.stderr is not None
    stderr = _Lines(child.stderr)
    _wait_for(lambda: under_way(slow_mock) > 20, "the run is under way")
    child.send_signal(signal.SIGINT)
    _wait_for(lambda: stderr.saw(first_taken), "the first Ctrl-C is being handled", 20)
    child.send_signal(signal.SIGINT)
    child.wait(timeout=60)
    err = stderr.text()
    child.stderr.close()
    assert child.returncode == 3, err[-3000:]
    summary = _summary(tmp_path)
    assert summary["status"] == "interrupted", summary
    on_backend = _stats(slow_mock)["store"]["users"] - SAMPLE_USERS
    recorded = [entry["uid"] for entry in summary["cleanup"]["left"]]
    # `left` may name users whose create was cut off (a later `authload cleanup` finds them gone);
    # it must name every user that is still there.
    assert _existing(slow_mock, recorded) == on_backend, "what is left on the backend is recorded"


def _existing(mock: MockProcess, uids: list[str]) -> int:
    config = MockConfig()
    with AdminClient(mock.base_url, app_id=config.app_id, api_key=config.rest_api_key) as admin:
        found = 0
        for uid in uids:
            try:
                admin.get_user(uid)
                found += 1
            except ApiError:
                pass
        return found


def test_third_ctrl_c_kills_but_a_summary_is_still_written(tmp_path: Path, slow_mock: MockProcess) -> None:
    child = _start(tmp_path, slow_mock, count=3000)
    assert child.stderr is not None
    stderr = _Lines(child.stderr)
    _wait_for(lambda: _users_created(slow_mock) > 20, "provisioning is under way")
    run_processes = descendants(child.pid)
    # Signals sent at once would merge into one: each Ctrl-C waits until the last one is taken.
    for taken in ("authload: stopping", "authload: not waiting any more", "authload: killed"):
        child.send_signal(signal.SIGINT)
        _wait_for(lambda taken=taken: stderr.saw(taken), f"{taken!r} is printed", 10)  # type: ignore[misc]
    child.wait(timeout=60)
    err = stderr.text()
    child.stderr.close()
    assert child.returncode == 3, err[-3000:]
    summary = _summary(tmp_path)
    assert summary["status"] == "interrupted" and summary["verdict"] == "fail", summary
    # Mostly written by `authload run` itself ("Locust killed"); when the hurried Locust finished
    # its own summary just before the kill, that one stands.
    assert "Locust killed" in summary["error"] or "interrupted" in summary["error"], summary
    _wait_for(lambda: not any(alive(pid) for pid in run_processes), "no process of the run is left", 15)
    on_backend = _stats(slow_mock)["store"]["users"] - SAMPLE_USERS
    recorded = [entry["uid"] for entry in summary["cleanup"]["left"]]
    assert _existing(slow_mock, recorded) == on_backend, "the ledger knows what is left"
