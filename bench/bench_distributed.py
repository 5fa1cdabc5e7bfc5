"""Throughput with 1, 2, 4 ... workers on one machine: does adding workers add load? (issue 8)

Each configuration is one `authload run --processes N` (a master and N workers) of
USERS busy users per worker doing `[login_auth_token, logout]` without pauses,
against one mock. The mock is pinned to the last core and the load to the others
(taskset/sched_setaffinity), so the mock is not what is measured while it has CPU
to spare; its CPU use is printed so you can see when it becomes the limit.

Throughput is the mock's own count of requests over the steady window (from
SETTLE s after the first request to the last second of load), checked against
summary.json's total. The ratio is throughput(N) / (N x throughput(1)): 1.0 means
workers scale perfectly; on a machine with fewer free cores than workers it falls
as about cores / N, which says "add hosts, not processes".

About 45 s with the defaults on 2 cores; not part of the test suite.

    python3 bench/bench_distributed.py [--workers 1,2,4] [--seconds 8] [--users 32]

On a larger machine (say 16 cores): `--workers 1,2,4,8 --seconds 20`, and watch
the mock's CPU column: near 100% means the mock, a single process, is the limit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from authload import MockConfig, MockProcess

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = """\
name: bench-distributed
identities: {count: %(identities)d, uid_prefix: dist-, tokens: pre_minted, cleanup: keep}
load: {users: %(users)d, spawn_rate: %(users)d, run_time: %(seconds)ds}
thresholds: {}
flows:
  busy:
    steps: [login_auth_token, logout]
"""
SETTLE = 2.0  # seconds after the first request before the window opens (spawn, warm-up)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _requests(base_url: str) -> int:
    """The flow's requests the mock received (provisioning's are not load)."""
    routes = httpx.get(f"{base_url}/_mock/stats", timeout=5).json()["routes"]
    return sum(int(routes.get(name, {}).get("requests", 0)) for name in ("me.login", "me.logout"))


def _sample(base_url: str, mock_pid: int, done: threading.Event, out: list[tuple[float, int, float]]) -> None:
    while not done.is_set():
        out.append((time.monotonic(), _requests(base_url), _cpu_seconds(mock_pid)))
        time.sleep(0.25)


def _steady(samples: list[tuple[float, int, float]]) -> tuple[float, float, float]:
    """(requests/s, window s, mock CPU share) from SETTLE s after the first request to the last
    sample that still saw new requests, less one second (users stopping)."""
    first = next(i for i, (_, n, _) in enumerate(samples) if n > samples[0][1])
    last = max(i for i in range(1, len(samples)) if samples[i][1] > samples[i - 1][1])
    start_t = samples[first][0] + SETTLE
    window = [s for s in samples[first : last + 1] if start_t <= s[0] <= samples[last][0] - 1.0]
    if len(window) < 2:
        return 0.0, 0.0, 0.0
    (t0, n0, c0), (t1, n1, c1) = window[0], window[-1]
    return (n1 - n0) / (t1 - t0), t1 - t0, (c1 - c0) / (t1 - t0)


def run_one(workers: int, args: argparse.Namespace, mock: MockProcess) -> dict[str, Any]:
    assert mock.pid is not None
    folder = Path(tempfile.mkdtemp(prefix=f"bench-dist-{workers}-"))
    users = args.users * workers
    scenario = folder / "s.yaml"
    scenario.write_text(SCENARIO % {"identities": users, "users": users, "seconds": args.seconds})
    (folder / "cfg").mkdir()
    (folder / "cfg" / "m.yaml").write_text(f"name: m\nbackend: mock\nrest_base_url: {mock.base_url}\n")
    command = [sys.executable, "-m", "authload", "run", str(scenario), "--processes", str(workers)]
    command += ["--env", "m", "--config-dir", str(folder / "cfg"), "--report-dir", str(folder / "r")]
    samples: list[tuple[float, int, float]] = []
    done = threading.Event()
    sampler = threading.Thread(target=_sample, args=(mock.base_url, mock.pid, done, samples))
    before = _requests(mock.base_url)
    sampler.start()
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=args.seconds + 60,
        )
    finally:
        done.set()
        sampler.join()
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"the run with {workers} worker(s) failed (exit {result.returncode})")
    (summary_path,) = (folder / "r").glob("*/summary.json")
    summary = json.loads(summary_path.read_text())
    sent = _requests(mock.base_url) - before
    rate, window, mock_cpu = _steady(samples)
    return {
        "workers": workers,
        "users": users,
        "requests": summary["total"]["requests"],
        "mock_requests": sent,
        "rate": rate,
        "window": window,
        "mock_cpu": mock_cpu,
        "p95": summary["total"]["p95"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, e.g. 1,2,4,8")
    parser.add_argument("--seconds", type=int, default=8, help="run time of each configuration")
    parser.add_argument("--users", type=int, default=32, help="busy users per worker")
    parser.add_argument("--no-pin", action="store_true", help="let the mock and the load share all cores")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    cores = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin and len(cores) > 1
    load_cores = set(cores[:-1]) if pin else set()
    print(
        f"{len(cores)} cores; mock on core {cores[-1]}, load on {sorted(load_cores)}" if pin else "no pinning"
    )
    rows = []
    with MockProcess(MockConfig()) as mock:
        assert mock.pid is not None
        if pin:  # the mock on its core; this process and the runs it starts (inherited) on the rest
            os.sched_setaffinity(mock.pid, {cores[-1]})
            os.sched_setaffinity(0, load_cores)
        for workers in counts:
            started = time.monotonic()
            rows.append(run_one(workers, args, mock))
            print(f"  {workers} worker(s): {time.monotonic() - started:.0f} s", file=sys.stderr)
    one = next((r["rate"] for r in rows if r["workers"] == 1), None)
    print(
        f"{'workers':>7} {'users':>6} {'requests':>9} {'req/s':>8} {'ratio':>6} {'p95 ms':>7} {'mock CPU':>9}"
    )
    for r in rows:
        ratio = f"{r['rate'] / (r['workers'] * one):.2f}" if one else "-"
        print(
            f"{r['workers']:>7} {r['users']:>6} {r['requests']:>9} {r['rate']:>8.0f} {ratio:>6} "
            f"{r['p95']:>7.1f} {r['mock_cpu'] * 100:>8.0f}%"
        )
        assert r["requests"] == r["mock_requests"], (r["requests"], r["mock_requests"])
    print("ratio = req/s with N workers / (N x req/s with 1 worker), over each run's steady window")
    print(
        f"load cores: {len(load_cores) or len(cores)}: workers beyond that share a core, so the ratio falls"
    )
    print("On a larger machine: python3 bench/bench_distributed.py --workers 1,2,4,8 --seconds 20")


if __name__ == "__main__":
    main()
