"""What the live metrics endpoint costs the load generator: the same run with and without
`--metrics-port`, scraped every `--scrape-every` seconds (Prometheus's usual 1-15 s; 1 s here).

The 12-request sign-up flow of bench_flow_overhead.py against one mock, Locust on core 0, the
mock and this script (and its scraper) on core 1. Runs go in ABBA order, ROUNDS of each, after
an uncounted run of each; each is measured over a steady window (Locust's utime + stime from
/proc, the mock's request count). Printed: requests per CPU-second of the Locust process on
each side, and the ratio with/without with its spread.

    python3 bench/bench_metrics.py [--users 24] [--pause-ms 200] [--window 10] [--rounds 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from authload import MockConfig, MockProcess
from authload.common._ports import port_for_a_server
from bench_flow_overhead import SCENARIO, STEPS, MockStats, run_once, spread


def scrape_until(stop: threading.Event, url: str, every: float, sizes: list[int]) -> None:
    """Scrape like Prometheus does, until `stop`; keeps each answer's size."""
    while not stop.wait(every):
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                sizes.append(len(answer.read()))
        except OSError:
            pass  # not up yet, or gone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--pause-ms", type=int, default=200, help="pause at the end of each cycle")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds after the first request")
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--rounds", type=int, default=6, help="runs of each side (ABBA order)")
    parser.add_argument("--scrape-every", type=float, default=1.0, help="seconds between scrapes")
    options = parser.parse_args()
    seconds = int(options.warmup + options.window + 6)
    with tempfile.TemporaryDirectory() as tmp, MockProcess(MockConfig()) as mock:
        assert mock.pid is not None
        os.sched_setaffinity(mock.pid, {1})
        os.sched_setaffinity(0, {1})
        stats = MockStats(mock.base_url)
        workdir = Path(tmp)
        scenario = workdir / "bench.yaml"
        pause = f", {{pause: {options.pause_ms}ms}}" if options.pause_ms else ""
        scenario.write_text(
            SCENARIO % {"users": options.users, "seconds": seconds, "steps": ", ".join(STEPS), "pause": pause}
        )
        (workdir / "cfg").mkdir()
        (workdir / "cfg" / "m.yaml").write_text(f"name: m\nbackend: mock\nrest_base_url: {mock.base_url}\n")
        port = port_for_a_server()
        common = [
            "-u",
            str(options.users),
            "-r",
            "1000",
            "-t",
            f"{seconds}s",
            "-f",
            "locustfiles/auth_flow.py",
        ]
        common += ["--scenario", str(scenario), "--config-dir", str(workdir / "cfg"), "--env", "m"]
        sides = {
            "without": [*common, "--report-dir", str(workdir / "r0")],
            "with": [
                *common,
                "--report-dir",
                str(workdir / "r1"),
                "--metrics-port",
                str(port),
                "--metrics-linger",
                "0",
            ],
        }
        sizes: list[int] = []

        def measured(side: str, log: Path) -> dict[str, float]:
            stop = threading.Event()
            scraper = threading.Thread(
                target=scrape_until,
                args=(stop, f"http://127.0.0.1:{port}/metrics", options.scrape_every, sizes),
            )
            if side == "with":
                scraper.start()
            try:
                return run_once(sides[side], {}, stats, options, log)
            finally:
                stop.set()
                if scraper.is_alive():
                    scraper.join()

        for side in sides:  # not counted: a first run pays for cold caches
            measured(side, workdir / f"{side}-warmup.log")
        results: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
        order = [("without", "with"), ("with", "without")]
        for round_ in range(options.rounds):
            for side in order[round_ % 2]:
                figures = measured(side, workdir / f"{side}{round_}.log")
                results[side].append(figures)
                print(
                    f"round {round_} {side:7s} {figures['per_cpu_s']:7.0f} req/CPU-s "
                    f"{figures['rps']:7.0f} req/s  Locust core {figures['load']:.0%}",
                    flush=True,
                )
    every = options.scrape_every
    print(f"\n{options.rounds} runs each, ABBA, {options.users} users, scraped every {every:g} s:")
    for side, runs in results.items():
        per_cpu, rates = spread([r["per_cpu_s"] for r in runs]), spread([r["rps"] for r in runs])
        print(f"{side:8s} req/CPU-s {per_cpu}   req/s {rates}")
    ratios = [
        a["per_cpu_s"] / b["per_cpu_s"] for a, b in zip(results["with"], results["without"], strict=True)
    ]
    sd = statistics.stdev(ratios) if len(ratios) > 1 else 0.0
    print(
        f"with/without (req per CPU-s): {statistics.fmean(ratios):.3f} "
        f"(per round {min(ratios):.2f}-{max(ratios):.2f}, sd {sd:.3f}); "
        f"{len(sizes)} scrapes of about {statistics.fmean(sizes or [0]) / 1024:.1f} KiB"
    )


if __name__ == "__main__":
    main()
