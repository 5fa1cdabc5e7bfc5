"""What TLS costs the load path: authload over HTTPS (certificates verified) vs plain HTTP.

The same run on both sides, against two mocks that differ only in TLS (one serves
HTTPS with a certificate from a CA this script makes with trustme, the other plain
HTTP): the 12-request sign-up flow of bench_flow_overhead.py, `create_user,
create_auth_token, 5 x (login_auth_token, logout)`, paced alike. Connections are
kept (the mock keeps idle ones 60 s), so the handshake is paid once per user and
what is measured is mostly the cost of encrypting and decrypting each request.

Locust runs on core 0, the mocks on core 1; runs go in ABBA order, ROUNDS of each,
each measured over a steady window (Locust's utime + stime from /proc, the mock's
request count), after one uncounted run of each (the first run pays for cold
caches). Printed: requests per CPU-second of the Locust process on each side, and
the ratio https/http with its spread.

    python3 bench/bench_tls.py [--users 24] [--pause-ms 200] [--window 10] [--rounds 6]
"""

from __future__ import annotations

import argparse
import http.client
import os
import ssl
import statistics
import sys
import tempfile
from pathlib import Path

import trustme  # a test dependency: pip install -e '.[test]'

sys.path.insert(0, str(Path(__file__).parent))
from authload import MockConfig, MockProcess
from bench_flow_overhead import SCENARIO, STEPS, MockStats, run_once, spread


class SecureMockStats(MockStats):
    """The mock's request count, over HTTPS."""

    def __init__(self, base_url: str, context: ssl.SSLContext) -> None:
        super().__init__(base_url)
        self.context = context

    def _call(self, method: str, path: str) -> dict[str, object]:
        import json

        connection = http.client.HTTPSConnection(self.host, self.port, timeout=10, context=self.context)
        try:
            connection.request(method, path, body=b"{}" if method == "POST" else None)
            return json.loads(connection.getresponse().read())  # type: ignore[no-any-return]
        finally:
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--pause-ms", type=int, default=200, help="pause at the end of each cycle")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds after the first request")
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--rounds", type=int, default=6, help="runs of each side (ABBA order)")
    options = parser.parse_args()
    seconds = int(options.warmup + options.window + 6)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        authority = trustme.CA()
        issued = authority.issue_cert("127.0.0.1")
        ca, cert, key = workdir / "ca.pem", workdir / "server.pem", workdir / "server.key"
        authority.cert_pem.write_to_path(str(ca))
        issued.private_key_pem.write_to_path(str(key))
        cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        plain = MockProcess(MockConfig())
        secure = MockProcess(MockConfig(tls_cert=str(cert), tls_key=str(key)))
        with plain, secure:
            for mock in (plain, secure):
                assert mock.pid is not None
                os.sched_setaffinity(mock.pid, {1})
            os.sched_setaffinity(0, {1})
            stats = {
                "http": MockStats(plain.base_url),
                "https": SecureMockStats(secure.base_url, ssl.create_default_context(cafile=str(ca))),
            }
            scenario = workdir / "bench.yaml"
            pause = f", {{pause: {options.pause_ms}ms}}" if options.pause_ms else ""
            scenario.write_text(
                SCENARIO
                % {"users": options.users, "seconds": seconds, "steps": ", ".join(STEPS), "pause": pause}
            )
            (workdir / "cfg").mkdir()
            (workdir / "cfg" / "http.yaml").write_text(
                f"name: http\nbackend: mock\nrest_base_url: {plain.base_url}\n"
            )
            (workdir / "cfg" / "https.yaml").write_text(
                f"name: https\nbackend: mock\nrest_base_url: {secure.base_url}\ntls: {{ca_file: {ca}}}\n"
            )
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
            common += ["--scenario", str(scenario), "--config-dir", str(workdir / "cfg")]
            sides = {
                side: [*common, "--env", side, "--report-dir", str(workdir / "reports" / side)]
                for side in ("http", "https")
            }
            for side in ("http", "https"):  # not counted: the first run of a process pays for cold caches
                run_once(sides[side], {}, stats[side], options, workdir / f"{side}-warmup.log")
            results: dict[str, list[dict[str, float]]] = {"http": [], "https": []}
            order = [("http", "https"), ("https", "http")]
            for round_ in range(options.rounds):
                for side in order[round_ % 2]:
                    figures = run_once(sides[side], {}, stats[side], options, workdir / f"{side}{round_}.log")
                    results[side].append(figures)
                    print(
                        f"round {round_} {side:5s} {figures['per_cpu_s']:7.0f} req/CPU-s "
                        f"{figures['rps']:7.0f} req/s  Locust core {figures['load']:.0%}",
                        flush=True,
                    )
    print(f"\n{options.rounds} runs each, ABBA, {options.users} users, pause {options.pause_ms} ms:")
    for side, runs in results.items():
        print(
            f"{side:6s} req/CPU-s {spread([r['per_cpu_s'] for r in runs])}   "
            f"req/s {spread([r['rps'] for r in runs])}"
        )
    ratios = [a["per_cpu_s"] / b["per_cpu_s"] for a, b in zip(results["https"], results["http"], strict=True)]
    sd = statistics.stdev(ratios) if len(ratios) > 1 else 0.0
    print(
        f"https/http (req per CPU-s): {statistics.fmean(ratios):.3f} "
        f"(per round {min(ratios):.2f}-{max(ratios):.2f}, sd {sd:.3f})"
    )


if __name__ == "__main__":
    main()
