"""Is authload's flow machinery cheap next to a bare FastHttpUser? (issue: goal ratio >= 0.9)

One invocation, one mock on loopback, same users and duration for both:
  1. a bare FastHttpUser loop: PUT /v3.0/me + DELETE /v3.0/me with pre-minted tokens;
  2. authload's locustfile on a `login_auth_token` + `logout` scenario (same requests).
Each is run ROUNDS times, alternating, to spread the machine's noise over both.
Locust and the mock are pinned to different cores when `taskset` exists.
Prints HTTP requests/s of each and their ratio, and the Locust process's CPU
seconds per 1000 requests (the harness cost, whichever side is the bottleneck).

    python3 bench/bench_flow_overhead.py [--users 20] [--seconds 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from authload import AdminClient, MockConfig, MockProcess

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = """\
name: bench-login-logout
identities: {count: %(users)d, uid_prefix: bench-, tokens: pre_minted, cleanup: keep}
load: {users: %(users)d, spawn_rate: 1000, run_time: %(seconds)ds}
flows:
  login_logout:
    steps: [login_auth_token, logout]
"""


def pinned(command: list[str], core: int) -> list[str]:
    return ["taskset", "-c", str(core), *command] if shutil.which("taskset") and os.cpu_count() else command


def http_figures(csv_path: Path, names: tuple[str, ...]) -> tuple[int, float]:
    """Request count and requests/s (over Locust's own measuring window) of the named entries."""
    with csv_path.open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] in names]
    return sum(int(row["Request Count"]) for row in rows), sum(float(row["Requests/s"]) for row in rows)


def run_locust(
    args: list[str], env: dict[str, str], seconds: int, workdir: Path, tag: str
) -> tuple[float, float]:
    """Requests/s and CPU seconds per 1000 requests of one headless Locust run."""
    prefix = workdir / tag
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = pinned(
        [
            sys.executable,
            "-m",
            "locust",
            *args,
            "--headless",
            "--only-summary",
            "--csv",
            str(prefix),
            "--loglevel",
            "WARNING",
        ],
        core=0,
    )
    subprocess.run(
        command, cwd=ROOT, env={**os.environ, **env}, check=False, capture_output=True, timeout=seconds + 120
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    count, rate = http_figures(Path(f"{prefix}_stats.csv"), ("login_auth_token", "logout"))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return rate, cpu / max(count, 1) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    config = MockConfig()
    with tempfile.TemporaryDirectory() as tmp, MockProcess(config) as mock:
        if shutil.which("taskset") and mock.pid:
            subprocess.run(["taskset", "-p", "-c", "1", str(mock.pid)], check=False, capture_output=True)
        workdir = Path(tmp)
        with AdminClient(mock.base_url, app_id=config.app_id, api_key=config.rest_api_key) as admin:
            tokens = []
            for index in range(options.users):
                admin.create_user(f"bench-{index}", f"Bench {index}")
                tokens.append(admin.create_auth_token(f"bench-{index}").token)
        scenario = workdir / "bench.yaml"
        scenario.write_text(SCENARIO % {"users": options.users, "seconds": options.seconds})
        (workdir / "cfg").mkdir()
        (workdir / "cfg" / "bench.yaml").write_text(
            f"name: bench\nbackend: mock\nrest_base_url: {mock.base_url}\n"
        )
        common = ["-u", str(options.users), "-r", "1000", "-t", f"{options.seconds}s"]
        bare_args = ["-f", "bench/bare_fasthttp_locustfile.py", "--host", mock.base_url, *common]
        flow_args = [
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
            *common,
        ]
        env = {"BENCH_TOKENS": json.dumps(tokens), "BENCH_APP_ID": config.app_id}
        results: dict[str, list[tuple[float, float]]] = {"bare": [], "authload": []}
        for round_ in range(options.rounds):
            results["bare"].append(run_locust(bare_args, env, options.seconds, workdir, f"bare{round_}"))
            results["authload"].append(run_locust(flow_args, env, options.seconds, workdir, f"flow{round_}"))
    summary = {
        name: (sum(r for r, _ in runs) / len(runs), sum(c for _, c in runs) / len(runs))
        for name, runs in results.items()
    }
    for name, (rps, cpu) in summary.items():
        print(f"{name:9s} {rps:8.0f} HTTP req/s   {cpu:6.3f} CPU s per 1000 requests (start-up included)")
    ratio = summary["authload"][0] / summary["bare"][0]
    cost = summary["bare"][1] / summary["authload"][1]
    print(f"throughput ratio authload/bare: {ratio:.2f} (goal >= 0.90)")
    print(f"CPU efficiency ratio bare/authload: {cost:.2f} (1.00 = no overhead)")


if __name__ == "__main__":
    main()
