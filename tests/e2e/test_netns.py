"""A master and its workers on two "hosts": network namespaces joined by a veth pair.

The test creates two namespaces and a veth pair whose ends (10.200.0.1/30 and 10.200.0.2/30)
exist only inside them; nothing is routed anywhere else. The mock and the master live in the
master's namespace, bound to its veth address; two workers in the other namespace reach both
over the pair with the run key. The summary must count exactly what the mock received, the
workers' counts must add up to it, and the workers' traffic must have crossed the veth pair
(their namespace has no other interface than its loopback and no route but the pair's /30).

Skipped where namespaces cannot be created (no root, no CAP_SYS_ADMIN, no `ip`: on Debian or
Ubuntu CI, `apt-get install -y iproute2` and run as root).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, only_summary

pytestmark = pytest.mark.e2e

MASTER_IP, WORKER_IP = "10.200.0.1", "10.200.0.2"
MOCK_PORT, MASTER_PORT = 8765, 5557  # fresh namespaces: no other listener can hold them
SCENARIO = """\
name: netns
identities: {count: 8, uid_prefix: ns-}
load: {users: 4, spawn_rate: 4, run_time: 3s}
flows:
  returning:
    steps: [login_auth_token, logout]
"""
KEY = "netns-test-run-key-0123456789abcdef"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    """(master's, workers') namespace, joined by a veth pair; always deleted afterwards."""
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command (apt-get install -y iproute2) to create network namespaces")
    tag = secrets.token_hex(3)
    master, worker = f"alm-{tag}", f"alw-{tag}"
    probe = subprocess.run(["ip", "netns", "add", master], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        pytest.skip(f"cannot create network namespaces here (`ip netns add`: {probe.stderr.strip()})")
    try:
        _ip("netns", "add", worker)
        # The pair is made inside the master's namespace with its peer in the workers': neither
        # end ever exists in the host's namespace.
        _ip("-n", master, "link", "add", "vm0", "type", "veth", "peer", "name", "vw0", "netns", worker)
        _ip("-n", master, "addr", "add", f"{MASTER_IP}/30", "dev", "vm0")
        _ip("-n", worker, "addr", "add", f"{WORKER_IP}/30", "dev", "vw0")
        for ns, dev in ((master, "vm0"), (worker, "vw0"), (master, "lo"), (worker, "lo")):
            _ip("-n", ns, "link", "set", dev, "up")
        yield master, worker
    finally:
        for ns in (master, worker):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


def _in(ns: str, *command: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *command]


def _wait_for_line(process: subprocess.Popen[str], text: str, timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if text in line:
            return line
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"never saw {text!r}")


def _in_ns_json(ns: str, url: str) -> Any:
    code = f"import httpx; print(httpx.get({url!r}, timeout=5).text)"
    out = subprocess.run(_in(ns, sys.executable, "-c", code), capture_output=True, text=True, timeout=20)
    return json.loads(out.stdout)


def _link_stats(ns: str) -> dict[str, Any]:
    out = subprocess.run(["ip", "-n", ns, "-j", "-s", "link", "show"], capture_output=True, text=True)
    return {link["ifname"]: link["stats64"] for link in json.loads(out.stdout)}


def _routes(ns: str, *which: str) -> list[str]:
    out = subprocess.run(["ip", "-n", ns, "-j", *which, "route", "show"], capture_output=True, text=True)
    return sorted(f"{r.get('dst')} {r.get('dev')}" for r in json.loads(out.stdout))


def _net_ns_of(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return ""


def _netns_id(name: str) -> str:
    """How /proc/PID/ns/net names the namespace `ip netns` calls `name`."""
    return f"net:[{os.stat(f'/run/netns/{name}').st_ino}]"


def _wait_until(done: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_master_and_workers_in_separate_network_namespaces(
    tmp_path: Path, namespaces: tuple[str, str]
) -> None:
    master_ns, worker_ns = namespaces
    base_url = f"http://{MASTER_IP}:{MOCK_PORT}"
    (tmp_path / "s.yaml").write_text(SCENARIO)
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "m.yaml").write_text(f"name: m\nbackend: mock\nrest_base_url: {base_url}\n")
    env = {**os.environ, "AUTHLOAD_RUN_KEY": KEY}
    locust = [sys.executable, "-m", "locust", "-f", "locustfiles/auth_flow.py"]
    started = time.monotonic()
    processes: list[subprocess.Popen[str]] = []

    def start(ns: str, command: list[str], **kw: Any) -> subprocess.Popen[str]:
        process = subprocess.Popen(_in(ns, *command), cwd=ROOT, env=env, text=True, **kw)
        processes.append(process)
        return process

    try:
        mock = start(
            master_ns,
            [sys.executable, "-m", "authload", "mock", "--host", MASTER_IP, "--port", str(MOCK_PORT)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_line(mock, "listening on", 30)  # the rest of its banner names the mock's keys: unread
        master = start(
            master_ns,
            [*locust, "--master", "--master-bind-host", MASTER_IP, "--master-bind-port", str(MASTER_PORT)]
            + ["--expect-workers", "2", "--headless", "--scenario", str(tmp_path / "s.yaml"), "--env", "m"]
            + ["--config-dir", str(tmp_path / "cfg"), "--report-dir", str(tmp_path / "r")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        workers = [
            start(
                worker_ns,
                [*locust, "--worker", "--master-host", MASTER_IP, "--master-port", str(MASTER_PORT)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for _ in range(2)
        ]
        in_worker_ns = _netns_id(worker_ns)
        for worker in workers:  # each worker runs in the workers' namespace (after `ip`'s setns)
            _wait_until(lambda w=worker: w.poll() is not None or _net_ns_of(w.pid) == in_worker_ns, 10)
            assert _net_ns_of(worker.pid) == in_worker_ns != _net_ns_of(os.getpid())
        _, master_err = master.communicate(timeout=60)
        for worker in workers:
            worker.wait(timeout=30)
        stats = _in_ns_json(master_ns, f"{base_url}/_mock/stats")["routes"]
        veth = _link_stats(worker_ns)
        routes = _routes(worker_ns), _routes(worker_ns, "-6")
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
    assert master.returncode == 0, master_err[-3000:]
    assert time.monotonic() - started < 40
    summary = only_summary(tmp_path / "r")
    mock_requests = stats["me.login"]["requests"] + stats["me.logout"]["requests"]
    # Figures merged exactly: the two workers' counts add up to the total, which is the mock's.
    assert len(summary["workers"]) == 2 and all(w["requests"] > 0 for w in summary["workers"].values())
    assert sum(w["requests"] for w in summary["workers"].values()) == summary["http"]["load"]["requests"]
    assert summary["http"]["load"]["requests"] == mock_requests > 0
    assert summary["total"]["failures"] == 0
    # The workers' namespace reaches nothing but the pair's /30 ...
    assert set(veth) == {"lo", "vw0"}, veth
    assert routes == (["10.200.0.0/30 vw0"], ["fe80::/64 vw0"]), routes  # no default route, no other
    # ... and their traffic crossed the pair: at least a packet each way per request sent.
    assert veth["vw0"]["tx"]["packets"] >= summary["total"]["requests"], veth["vw0"]
    assert veth["vw0"]["rx"]["packets"] >= summary["total"]["requests"], veth["vw0"]
