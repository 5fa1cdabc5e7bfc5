"""A distributed run hands no secret to a worker without the run key, and ignores its figures.

A master (run key K) and one real worker (K) run against a mock on loopback;
a rogue connects to the master as a Locust worker with no key, answers
authload's challenge wrongly, and floods forged figures. It must receive no
plan and no key or token, and the summary must count what the mock counted.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

from authload import MockConfig, MockProcess
from closed_port import port_for_a_server

from .conftest import ROOT, only_summary

pytestmark = pytest.mark.e2e

REST_KEY, AUTH_KEY = "restkey-0123456789abcdef-seeded", "authkey-fedcba9876543210-seeded"
SCENARIO = """\
name: guarded
identities: {count: 4, uid_prefix: sec-}
load: {users: 2, spawn_rate: 2, run_time: 5s}
flows:
  returning:
    steps: [login_auth_token, logout]
"""
# Speaks Locust's worker protocol, knows no run key; prints every message it receives.
ROGUE = r"""
import sys, time
from hdrh.histogram import HdrHistogram
from locust import __version__
from locust.rpc import Message, rpc
from locust.stats import RequestStats
port, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
me = "rogue_0"
client = rpc.Client("127.0.0.1", port, me)
client.send(Message("client_ready", __version__, me))
fake = HdrHistogram(1, 3_600_000_000, 3)
fake.record_value(1000, 1_000_000)
figures = [["step", "login_auth_token", fake.encode().decode(), 0, {}]]
while time.time() < deadline:
    if client.socket.poll(200):
        msg = client.recv()
        print("GOT", msg.type, repr(msg.data), flush=True)
        if msg.type == "authload_challenge":
            client.send(Message("authload_proof", {"tag": "00" * 32}, me))
    for sender in (me, "forged_id"):
        data = {"stats": [], "stats_total": RequestStats().total.serialize(), "errors": {},
                "user_count": 0, "user_classes_count": {}, "authload_metrics": figures,
                "authload_signature": {"seq": 1, "tag": "11" * 32}}
        client.send(Message("stats", data, sender))
    client.send(Message("authload_final", {"seq": 2, "tag": "22" * 32}, me))
    client.send(Message("heartbeat", {"state": "ready", "current_cpu_usage": 1}, me))
print("ROGUE DONE", flush=True)
"""


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """The stream's lines as they come; the stream is closed at its end."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        with stream:
            for line in stream:
                lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], text: str, seen: list[str], timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"never saw {text!r}:\n" + "".join(seen[-30:]))


def test_rogue_worker_learns_no_secret_and_changes_no_figure(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO)
    (tmp_path / "cfg").mkdir()
    port = port_for_a_server()
    locust = [sys.executable, "-m", "locust", "-f", "locustfiles/auth_flow.py"]
    env = {**os.environ, "AUTHLOAD_RUN_KEY": "the-run-key-of-this-test-0123456789"}
    with MockProcess(MockConfig(rest_api_key=REST_KEY, auth_key=AUTH_KEY)) as mock:
        (tmp_path / "cfg" / "m.yaml").write_text(
            f"name: m\nbackend: mock\napp_id: authload-mock\nrest_base_url: {mock.base_url}\n"
            f"rest_api_key: {REST_KEY}\nauth_key: {AUTH_KEY}\n"
        )
        files = ["--scenario", str(tmp_path / "s.yaml"), "--env", "m", "--config-dir", str(tmp_path / "cfg")]
        master = subprocess.Popen(
            [*locust, "--master", "--master-bind-port", str(port), "--expect-workers", "1", "--headless"]
            + [*files, "--report-dir", str(tmp_path / "r")],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        rogue = subprocess.Popen(
            [sys.executable, "-c", ROGUE, str(port), "20"],
            cwd=ROOT, env={**os.environ, "AUTHLOAD_RUN_KEY": ""}, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        worker = None
        seen: list[str] = []
        try:
            assert master.stderr is not None and rogue.stdout is not None
            master_lines, rogue_lines = _lines(master.stderr), _lines(rogue.stdout)
            _wait_for(rogue_lines, "GOT ack", [])  # the rogue is in first: it would get the plan
            worker = subprocess.Popen(
                [*locust, "--worker", "--master-port", str(port)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                master.wait(timeout=40)
            finally:
                time.sleep(0.3)  # the reader thread's last lines
                while not master_lines.empty():
                    seen.append(master_lines.get())
            rogue.wait(timeout=30)
            rogue_out = "GOT ack\n" + "".join(rogue_lines.get() for _ in range(rogue_lines.qsize()))
        finally:
            for process in (master, worker, rogue):
                if process is not None and process.poll() is None:
                    process.kill()
        stats = httpx.get(f"{mock.base_url}/_mock/stats").json()["routes"]
    master_err = "".join(seen)
    assert "ROGUE DONE" in rogue_out and "authload_challenge" in rogue_out, rogue_out[-2000:]
    for secret in (REST_KEY, AUTH_KEY, "sec-", "authload_plan"):
        assert secret not in rogue_out, secret
    assert master.returncode == 0, master_err[-3000:]
    summary = only_summary(tmp_path / "r")
    assert summary["steps"]["login_auth_token"]["requests"] == stats["me.login"]["requests"] > 0
    assert summary["rejected_workers"] and all(
        w in ("rogue_0", "forged_id") for w in summary["rejected_workers"]
    )
    (real,) = summary["workers"]
    assert summary["workers"][real]["requests"] == summary["total"]["requests"]
    assert "did not prove it belongs" in master_err
