"""10,000 users in one Locust process: does authload deliver what the scenario asks? (issue 8)

The flow is `[login_auth_token, {pause: 5s-10s}, logout, {pause: 5s-10s}]`, so
10,000 users ask about 2 x 10,000 / 15 s = 1,333 requests/s. One Locust process
is pinned to core 0 and the mock to core 1 (taskset, when there). Three runs:

  1. authload, 64 busy users, `[login_auth_token, logout]` without pauses: the
     reference `login_auth_token` p95;
  2. authload, USERS users, the paced flow: delivered vs asked rate over the steady
     window (from 5 s after the last user started to the end), `login_auth_token`
     p95 (whole run, from summary.json), peak RSS of the Locust process, and
     connections the mock saw opened (`connections_opened` is the driver's count);
  3. a bare FastHttpUser (bench/bare_many_users_locustfile.py) doing the same.

Goals: delivered >= 95% of asked, p95 within 3x the 64-user figure, RSS < 500 MB.
About 2 minutes with the defaults; not part of the test suite. Users stop 1 s after
the run time (`--stop-timeout 1`): the figures cover the run time only.

    python3 bench/bench_many_users.py [--users 10000] [--seconds 40] [--spawn-rate 700]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from authload import MockConfig, MockProcess

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("login_auth_token", "logout")
PACED = """\
name: bench-many-users
identities: {count: %(users)d, uid_prefix: many-, tokens: pre_minted, cleanup: keep, concurrency: 64}
load: {users: %(users)d, spawn_rate: %(rate)s, run_time: %(seconds)ds}
thresholds: {}
flows:
  paced:
    steps: [login_auth_token, {pause: 5s-10s}, logout, {pause: 5s-10s}]
"""
BUSY = """\
name: bench-busy
identities: {count: 64, uid_prefix: busy-, tokens: pre_minted, cleanup: keep}
load: {users: 64, spawn_rate: 64, run_time: %(seconds)ds}
thresholds: {}
flows:
  busy:
    steps: [login_auth_token, logout]
"""


def pinned(command: list[str], core: int) -> list[str]:
    return ["taskset", "-c", str(core), *command] if shutil.which("taskset") else command


def run_locust(args: list[str], env: dict[str, str], prefix: Path, timeout: float) -> float:
    """Run headless Locust on core 0; its peak RSS in MB (wait4 on the process itself)."""
    command = [sys.executable, "-m", "locust", *args, "--headless", "--only-summary"]
    command += ["--csv", str(prefix), "--csv-full-history", "--loglevel", "WARNING"]
    out = (prefix.parent / f"{prefix.name}.log").open("w")
    process = subprocess.Popen(
        pinned(command, 0), cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=out
    )
    deadline = time.monotonic() + timeout
    while True:
        pid, _status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = 0
            return usage.ru_maxrss / 1024
        if time.monotonic() > deadline:
            process.kill()
        time.sleep(0.2)


def steady_rate(prefix: Path, users: int, settle: float = 5.0) -> tuple[float, float]:
    """Requests/s of NAMES from `settle` s after all users started to the end; and the window (s)."""
    with Path(f"{prefix}_stats_history.csv").open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] in NAMES]
    by_time: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_time.setdefault(int(row["Timestamp"]), {"users": int(row["User Count"]), "count": 0})
        entry["count"] += int(row["Total Request Count"])
    times = sorted(by_time)
    full = [t for t in times if by_time[t]["users"] >= users]
    if not full:
        return 0.0, 0.0
    start = next((t for t in full if t >= full[0] + settle), full[0])
    print(f"{prefix.name}: all {users} users running {full[0] - times[0]} s after the start")
    end = times[-1]  # users stop 1 s after the run time (--stop-timeout 1)
    return (by_time[end]["count"] - by_time[start]["count"]) / max(end - start, 1), end - start


def p95(prefix: Path, summary: Path | None) -> float:
    """`login_auth_token` p95 (ms): authload's exact figure, or Locust's CSV for the bare run."""
    if summary is not None:
        return float(json.loads(summary.read_text())["steps"]["login_auth_token"]["p95"])
    with Path(f"{prefix}_stats.csv").open() as handle:
        row = next(row for row in csv.DictReader(handle) if row["Name"] == "login_auth_token")
    return float(row["95%"])


def connections(summary: Path) -> int | None:
    steps = json.loads(summary.read_text())["steps"]
    counts = [steps[name].get("connections_opened") for name in NAMES if name in steps]
    return None if None in counts else sum(c for c in counts if c is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--spawn-rate", type=float, default=700.0, help="about the steady login rate")
    options = parser.parse_args()
    config = MockConfig()
    asked = 2 * options.users / 15.0
    with tempfile.TemporaryDirectory() as tmp, MockProcess(config) as mock:
        if shutil.which("taskset") and mock.pid:
            subprocess.run(["taskset", "-p", "-c", "1", str(mock.pid)], check=False, capture_output=True)
        work = Path(tmp)
        (work / "cfg").mkdir()
        (work / "cfg" / "bench.yaml").write_text(
            f"name: bench\nbackend: mock\nrest_base_url: {mock.base_url}\n"
        )

        def authload(name: str, text: str, users: int, rate: float, seconds: int) -> tuple[Path, float, Path]:
            scenario = work / f"{name}.yaml"
            scenario.write_text(text)
            reports = work / f"reports-{name}"
            args = ["-f", "locustfiles/auth_flow.py", "--scenario", str(scenario), "--env", "bench"]
            args += ["--config-dir", str(work / "cfg"), "--report-dir", str(reports)]
            args += ["-u", str(users), "-r", str(rate), "-t", f"{seconds}s", "--stop-timeout", "1"]
            rss = run_locust(args, {}, work / name, seconds + 180)
            found = sorted(reports.glob("*/summary.json"))
            if not found:
                sys.exit(f"the {name} run wrote no summary:\n{(work / f'{name}.log').read_text()[-3000:]}")
            return work / name, rss, found[0]

        _, _, busy_summary = authload("busy", BUSY % {"seconds": 8}, 64, 64, 8)
        busy_p95 = p95(work / "busy", busy_summary)
        values = {"users": options.users, "rate": options.spawn_rate, "seconds": options.seconds}
        prefix, rss, summary = authload(
            "paced", PACED % values, options.users, options.spawn_rate, options.seconds
        )
        rate, window = steady_rate(prefix, options.users)
        ours = {"rate": rate, "p95": p95(prefix, summary), "rss": rss, "conns": connections(summary)}
        bare_args = ["-f", "bench/bare_many_users_locustfile.py", "--host", mock.base_url]
        bare_args += ["-u", str(options.users), "-r", str(options.spawn_rate), "-t", f"{options.seconds}s"]
        env = {"BENCH_APP_ID": config.app_id, "BENCH_API_KEY": config.rest_api_key}
        bare_rss = run_locust(bare_args, env, work / "bare", options.seconds + 180)
        bare_rate, _ = steady_rate(work / "bare", options.users)
        bare = {"rate": bare_rate, "p95": p95(work / "bare", None), "rss": bare_rss}
    print(f"{options.users} users, asked {asked:.0f} req/s; steady window {window:.0f} s")
    print(f"64 busy users (authload): login_auth_token p95 {busy_p95:.1f} ms")
    for name, figures in (("authload", ours), ("bare", bare)):
        ratio = figures["rate"] / asked
        p95_ratio = figures["p95"] / busy_p95 if busy_p95 else float("inf")
        print(
            f"{name:9s} delivered {figures['rate']:7.0f} req/s = {ratio:.2f} of asked (goal >= 0.95)   "
            f"login p95 {figures['p95']:7.1f} ms = {p95_ratio:.1f}x the 64-user p95 (goal <= 3)   "
            f"peak RSS {figures['rss']:.0f} MB (goal < 500)"
        )
    if ours["conns"] is not None:
        print(f"authload opened {ours['conns']} connections for {options.users} users (reconnects show here)")


if __name__ == "__main__":
    main()
