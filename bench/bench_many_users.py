"""10,000 users in one Locust process: does authload deliver what the scenario asks? (issue 8)

The flow is `[login_auth_token, {pause: 5s-10s}, logout, {pause: 5s-10s}]`, so
10,000 users ask about 2 x 10,000 / 15 s = 1,333 requests/s. One Locust process
is pinned to core 0 and the mock to core 1 (os.sched_setaffinity). Three runs:

  1. authload, 64 busy users, `[login_auth_token, logout]` without pauses: the
     reference `login_auth_token` p95;
  2. authload, USERS users, the paced flow, measured over a steady window: from
     SETTLE s after Locust's own user count reached USERS (read live from its stats
     history) to 3 s before the run time ends. Delivered rate = requests the mock
     served in the window / its length (the mock's counter, read at both instants),
     the Locust process's CPU load in it (/proc/<pid>/stat), `login_auth_token` p95
     in the window (Locust's rolling 10 s p95, averaged over the window's history
     rows; the whole run's exact p95 beside it), peak RSS of the Locust process, and
     connections opened (authload's `connections_opened`, whole run);
  3. a bare FastHttpUser (bench/bare_many_users_locustfile.py) doing the same,
     measured the same way.

Goals: delivered >= 95% of asked, p95 within 3x the 64-user figure, RSS < 500 MB.
About 3 minutes with the defaults; not part of the test suite.

    python3 bench/bench_many_users.py [--users 10000] [--seconds 75] [--spawn-rate 700] [--settle 15]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

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


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a whole process (every thread), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def mock_requests(base_url: str) -> int:
    """Requests the mock has served so far (its admin routes are not counted)."""
    with urllib.request.urlopen(f"{base_url}/_mock/stats", timeout=30) as reply:
        return int(json.loads(reply.read())["totals"]["requests"])


def users_running(prefix: Path) -> int:
    """The user count of the newest row of Locust's stats history (0 before the first row)."""
    try:
        lines = Path(f"{prefix}_stats_history.csv").read_text().splitlines()
    except OSError:
        return 0
    rows = list(csv.reader(lines[-1:])) if len(lines) > 1 else []
    return int(rows[0][1]) if rows and rows[0][1].isdigit() else 0


def run_locust(
    args: list[str], env: dict[str, str], prefix: Path, users: int, options: argparse.Namespace, base_url: str
) -> dict[str, float]:
    """Run headless Locust pinned to core 0. Measures a steady window: from `settle` s after
    every user is running (Locust's own user count) to 3 s before the run time ends: requests
    the mock served, the Locust process's CPU; then the peak RSS (wait4 on the process itself)."""
    command = [sys.executable, "-m", "locust", *args, "--headless", "--only-summary"]
    command += ["--csv", str(prefix), "--csv-full-history", "--loglevel", "WARNING"]
    out = (prefix.parent / f"{prefix.name}.log").open("w")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=out,
        stderr=out,
        preexec_fn=lambda: os.sched_setaffinity(0, {0}),
    )
    figures: dict[str, float] = {}
    started = time.monotonic()
    while users_running(prefix) < users and process.poll() is None:
        time.sleep(0.25)
    spawned = time.monotonic()
    figures["spawn_s"] = spawned - started
    run_end = spawned + options.seconds - users / options.spawn_rate  # about when -t ends
    if run_end - 3 - (spawned + options.settle) >= 5:
        time.sleep(options.settle)
        cpu0, count0, t0 = cpu_seconds(process.pid), mock_requests(base_url), time.monotonic()
        time.sleep(max(0.0, run_end - 3 - t0))
        cpu1, count1, t1 = cpu_seconds(process.pid), mock_requests(base_url), time.monotonic()
        figures.update(rate=(count1 - count0) / (t1 - t0), load=(cpu1 - cpu0) / (t1 - t0), window=t1 - t0)
        figures.update(window_start=t0 - started, window_end=t1 - started)
    deadline = time.monotonic() + options.seconds + 180
    while True:
        pid, _status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = 0
            figures["rss"] = usage.ru_maxrss / 1024
            return figures
        if time.monotonic() > deadline:
            process.kill()
        time.sleep(0.2)


def window_p95(prefix: Path, started_wall: float, figures: dict[str, float]) -> float:
    """Mean of Locust's rolling (10 s) `login_auth_token` p95 over the history rows in the window."""
    lo, hi = started_wall + figures["window_start"], started_wall + figures["window_end"]
    with Path(f"{prefix}_stats_history.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["Name"] == "login_auth_token" and r["95%"] != "N/A"]
    values = [float(r["95%"]) for r in rows if lo <= int(r["Timestamp"]) <= hi]
    return sum(values) / len(values) if values else float("nan")


def p95(prefix: Path, summary: Path | None) -> float:
    """`login_auth_token` p95 (ms) over the whole run: authload's exact figure, else Locust's CSV."""
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
    parser.add_argument("--seconds", type=int, default=75)
    parser.add_argument("--spawn-rate", type=float, default=700.0, help="about the steady login rate")
    parser.add_argument("--settle", type=float, default=15.0, help="s after the last user started")
    parser.add_argument("--skip-bare", action="store_true")
    options = parser.parse_args()
    config = MockConfig()
    asked = 2 * options.users / 15.0
    with tempfile.TemporaryDirectory() as tmp, MockProcess(config) as mock:
        assert mock.pid is not None
        os.sched_setaffinity(mock.pid, {1})
        os.sched_setaffinity(0, {1})  # this script's polling stays off Locust's core
        work = Path(tmp)
        (work / "cfg").mkdir()
        (work / "cfg" / "bench.yaml").write_text(
            f"name: bench\nbackend: mock\nrest_base_url: {mock.base_url}\n"
        )

        def authload(
            name: str, text: str, users: int, rate: float, seconds: int
        ) -> tuple[dict[str, float], Path]:
            scenario = work / f"{name}.yaml"
            scenario.write_text(text)
            reports = work / f"reports-{name}"
            args = ["-f", "locustfiles/auth_flow.py", "--scenario", str(scenario), "--env", "bench"]
            args += ["--config-dir", str(work / "cfg"), "--report-dir", str(reports)]
            args += ["-u", str(users), "-r", str(rate), "-t", f"{seconds}s", "--stop-timeout", "1"]
            started = time.time()
            figures = run_locust(args, {}, work / name, users, options, mock.base_url)
            figures["started"] = started
            found = sorted(reports.glob("*/summary.json"))
            if not found:
                sys.exit(f"the {name} run wrote no summary:\n{(work / f'{name}.log').read_text()[-3000:]}")
            return figures, found[0]

        _, busy_summary = authload("busy", BUSY % {"seconds": 8}, 64, 64, 8)
        busy_p95 = p95(work / "busy", busy_summary)
        values = {"users": options.users, "rate": options.spawn_rate, "seconds": options.seconds}
        ours, summary = authload("paced", PACED % values, options.users, options.spawn_rate, options.seconds)
        ours.update(p95=p95(work / "paced", summary), conns=connections(summary) or 0)
        ours["window_p95"] = window_p95(work / "paced", ours["started"], ours) if "rate" in ours else 0.0
        results = {"authload": ours}
        if not options.skip_bare:
            bare_args = ["-f", "bench/bare_many_users_locustfile.py", "--host", mock.base_url]
            bare_args += [
                "-u",
                str(options.users),
                "-r",
                str(options.spawn_rate),
                "-t",
                f"{options.seconds}s",
            ]
            env = {"BENCH_APP_ID": config.app_id, "BENCH_API_KEY": config.rest_api_key}
            started = time.time()
            bare = run_locust(bare_args, env, work / "bare", options.users, options, mock.base_url)
            bare.update(p95=p95(work / "bare", None))
            bare["window_p95"] = window_p95(work / "bare", started, bare) if "rate" in bare else 0.0
            results["bare"] = bare
    report(options.users, asked, busy_p95, results)


def report(users: int, asked: float, busy_p95: float, results: dict[str, dict[str, float]]) -> None:
    print(f"{users} users, asked {asked:.0f} req/s (load avg {os.getloadavg()[0]:.2f})")
    print(f"64 busy users (authload): login_auth_token p95 {busy_p95:.1f} ms")
    for name, figures in results.items():
        if "rate" not in figures:
            print(f"{name:9s} all users running only after {figures['spawn_s']:.0f} s: no steady window")
            continue
        p95_ratio = figures["window_p95"] / busy_p95 if busy_p95 else float("inf")
        print(
            f"{name:9s} all users running after {figures['spawn_s']:.0f} s; "
            f"window {figures['window']:.0f} s: delivered {figures['rate']:6.0f} req/s "
            f"= {figures['rate'] / asked:.2f} of asked (goal >= 0.95), Locust core {figures['load']:.0%}"
        )
        print(
            f"{'':9s} login p95 in the window {figures['window_p95']:.1f} ms "
            f"= {p95_ratio:.1f}x the 64-user p95 (goal <= 3); whole run {figures['p95']:.1f} ms; "
            f"peak RSS {figures['rss']:.0f} MB (goal < 500)"
        )
        if figures.get("conns"):
            print(f"{'':9s} connections opened (whole run, spawn included): {figures['conns']:.0f}")


if __name__ == "__main__":
    main()
