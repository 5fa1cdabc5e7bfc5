"""`run()` and `ui()`: compose Locust's own command line around the locustfile.

`authload run` is a convenience: it checks the files (exit 2 on a bad one),
then runs `locust -f locustfiles/auth_flow.py --scenario ... --env ...` in a
child process, which starts the mock, provisions, runs and reports. The exit
code comes from the `summary.json` the child wrote; no summary means the run
could not complete (exit 3).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from ..common._errors import EXIT_CONFIG_ERROR, EXIT_RUN_ERROR, ConfigError
from ..common._lifeline import PARENT_PID_VARIABLE
from ..common._ports import port_for_a_server
from ..common._run_id import new_run_id
from ..common._tls import check_hosts, client_context
from ..pool._ledger import cleanup_record
from ..report import baseline_figures, write_fallback_summary
from ..scenario import Load, format_duration, is_builtin, load_run_files, parse_duration, scenario_path
from ._config import Config

LOCUST_STATS = "locust_stats"  # Locust's --json-file, without its .json


@dataclass(frozen=True)
class RunResult:
    """How a run ended: its exit code, its id, and its summary when one was written."""

    exit_code: int
    run_id: str
    report_dir: Path
    summary: dict[str, Any] | None


def locustfile_path() -> Path:
    """`locustfiles/auth_flow.py` of the checkout, else the installed package's locustfile."""
    local = Path("locustfiles/auth_flow.py")
    if local.exists():
        return local
    return Path(__file__).parents[1] / "locust" / "locustfile.py"


def locust_command(
    config: Config, run_id: str, load: Load, *, headless: bool = True, measure_from: float = 0.0
) -> list[str]:
    """The Locust command line that performs this run; `load` is the checked scenario's (see `check`).

    `measure_from` (a capacity probe's settle): the figures start that many seconds in. Locust's
    own views (CSV, its report.html) would count the settle too, so such a run writes none."""
    report_dir = Path(config.report_dir) / run_id
    command = [sys.executable, "-m", "locust", "-f", str(locustfile_path())]
    command += ["--scenario", config.scenario, "--env", config.env, "--config-dir", config.config_dir]
    command += ["--report-dir", config.report_dir, "--run-id", run_id]
    if config.allow_auth_key:
        command.append("--allow-auth-key")
    if config.baseline:
        command += ["--baseline", str(Path(config.baseline).resolve())]
    if config.processes is not None:
        # A port of its own (Locust's default, 5557, is shared by every run on the machine);
        # the master binds loopback only (see locust/_options.py).
        port = str(port_for_a_server())
        command += ["--processes", str(config.processes), "--master-bind-port", port, "--master-port", port]
    if config.metrics_port is not None:
        command += ["--metrics-port", str(config.metrics_port), "--metrics-host", config.metrics_host]
        if config.metrics_linger is not None:
            command += ["--metrics-linger", f"{config.metrics_linger:g}"]
    users = load.users if config.users is None else config.users
    spawn_rate = load.spawn_rate if config.spawn_rate is None else config.spawn_rate
    command += ["-u", str(users), "-r", str(spawn_rate)]
    if headless:
        run_time = parse_duration(config.run_time) if config.run_time else load.run_time
        command += ["--headless", "-t", format_duration(run_time), "--only-summary"]
        if measure_from > 0:
            command += ["--measure-from", f"{measure_from:g}"]
        else:  # No --html: Locust would rewrite report.html at exit, after authload wrote it redacted.
            command += ["--csv", str(report_dir / "locust")]
        # Locust's final stats go to a file instead of the console, so authload's table ends the
        # output (a capacity probe's file, counting the settle, is deleted: `LOCUST_STATS`).
        command += ["--json-file", str(report_dir / LOCUST_STATS)]
    else:  # each start in the web UI is a run of its own, reported in its own folder
        # Loopback unless told: Locust's UI starts and stops load for whoever reaches it.
        command += ["--web-host", config.web_host]
        if config.web_port is not None:
            command += ["--web-port", str(config.web_port)]
    return command + config.locust_args


# Locust options authload sets itself (or has its own for): refused after `--`, with what to use.
OWNED_OPTIONS = {
    ("-f", "--locustfile"): "authload picks its locustfile",
    ("-u", "--users"): "use authload's --users",
    ("-r", "--spawn-rate"): "use authload's --spawn-rate",
    ("-t", "--run-time"): "use authload's --run-time",
    ("--headless", "--autostart", "--only-summary"): "authload run is headless; authload ui is not",
    ("--csv", "--csv-full-history", "--html", "--json", "--json-file"): "authload writes the reports",
    ("--processes", "--master", "--master-bind-port", "--master-port"): "use authload's --processes",
    ("--web-host", "--web-port"): "use authload's --web-host and --web-port",
    ("--scenario", "--env", "--config-dir", "--report-dir", "--run-id", "--baseline"): "an authload option",
    ("--allow-auth-key", "--measure-from", "--metrics-port", "--metrics-host", "--metrics-linger"): (
        "an authload option"
    ),
}


def check_locust_args(args: list[str]) -> None:
    """Locust's own options after `--`: any that authload sets itself is a configuration error."""
    for arg in args:
        flag = arg.split("=", 1)[0]
        for flags, why in OWNED_OPTIONS.items():
            if flag in flags or (flag[:2] in flags and len(flag) > 2 and not flag.startswith("--")):
                raise ConfigError(f"{arg!r} after --: {why} (Locust's own options only there)")


def check(config: Config) -> Load:
    """Load both files and check the options now, so a mistake is exit 2 before anything starts,
    and each HTTPS host's certificate, so an unverified one is exit 3 before a key is sent.

    Returns the scenario's load, which the options override where given."""
    path = scenario_path(config.scenario)
    if is_builtin(path):
        print(f"authload: running the built-in scenario {path.stem!r} ({path})", file=sys.stderr, flush=True)
    config.scenario = str(path)
    scenario, env = load_run_files(path, config.env, config.config_dir, allow_auth_key=config.allow_auth_key)
    _check_options(config)
    if not env.embedded_mock:  # a certificate that does not verify: exit 3, before Locust starts
        target = env.resolve()
        check_hosts(
            target.base_urls().values(), client_context(target.tls_verify, target.ca_pem), env.timeout
        )
    return scenario.load


def _check_options(config: Config) -> None:
    check_locust_args(config.locust_args)
    if config.metrics_port is not None and not 0 <= config.metrics_port <= 65535:
        raise ConfigError(f"--metrics-port {config.metrics_port}: a port is 0-65535 (0: any free port)")
    if config.metrics_linger is not None and not 0 <= config.metrics_linger <= 3600:
        raise ConfigError(f"--metrics-linger {config.metrics_linger:g}: 0 to 3600 seconds")
    if config.users is not None and config.users < 1:
        raise ConfigError(f"--users must be at least 1, not {config.users}")
    if config.spawn_rate is not None and not config.spawn_rate > 0:
        raise ConfigError(f"--spawn-rate must be more than 0, not {config.spawn_rate}")
    if config.baseline:
        baseline_figures(Path(config.baseline))  # unreadable: exit 2 now, not after the run
    if config.run_time is not None:
        try:
            seconds = parse_duration(config.run_time)
        except ValueError as error:
            raise ConfigError(f"--run-time: {error}") from None
        if seconds <= 0:
            raise ConfigError("--run-time must be longer than 0s")


def run(config: Config) -> RunResult:
    """Run a scenario headless; returns when the run is over and its reports are written."""
    load = check(config)
    run_id = new_run_id()
    code = run_child(locust_command(config, run_id, load))
    report_dir = Path(config.report_dir) / run_id
    summary_path = report_dir / "summary.json"
    if not summary_path.exists():
        if code == EXIT_CONFIG_ERROR:
            return RunResult(EXIT_CONFIG_ERROR, run_id, report_dir, None)
        summary = _write_fallback_summary(summary_path, run_id, config, code)
        return RunResult(EXIT_RUN_ERROR, run_id, report_dir, summary)
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    return RunResult(int(summary["exit_code"]), run_id, report_dir, summary)


def _write_fallback_summary(path: Path, run_id: str, config: Config, code: int) -> dict[str, Any]:
    """Locust ended without a summary (killed, crashed): say so in one, rather than in none."""
    how = "killed" if code < 0 else f"exited with {code}"
    error = f"the run did not complete (Locust {how}) and wrote no summary; no figures"
    summary = write_fallback_summary(
        path,
        run_id=run_id,
        scenario_file=config.scenario,
        environment=config.env,
        status="interrupted" if code < 0 else "error",
        error=error,
        exit_code=EXIT_RUN_ERROR,
        cleanup=cleanup_record(path.parent),  # from the ledgers: what may still be on the backend
    )
    print(f"authload: {error}; wrote {path}", file=sys.stderr, flush=True)
    return summary


def ui(config: Config) -> int:
    """Open Locust's web UI on loopback for this scenario; returns Locust's exit code."""
    load = check(config)
    return run_child(locust_command(config, new_run_id(), load, headless=False))


# What each Ctrl-C (or SIGTERM) to `authload run` does to the Locust child; see `locust/_stopping.py`.
_ESCALATION = (
    (signal.SIGTERM, "stopping: reports are written, created users deleted (Ctrl-C again: stop waiting)"),
    (signal.SIGUSR1, "not waiting any more: the summary records what is left (Ctrl-C again: kill)"),
    (signal.SIGKILL, "killed"),
)


def run_child(command: list[str], output: IO[bytes] | None = None) -> int:
    """Run Locust in its own session, so a terminal Ctrl-C reaches it only through us.

    Each Ctrl-C escalates (stop, stop waiting, kill) instead of repeating: a
    second SIGINT sent by the terminal to the whole group would cut the report
    short. The child dies with us (`_lifeline`), so `kill -9` leaves no load behind.
    """
    environment = {**os.environ, PARENT_PID_VARIABLE: str(os.getpid())}
    child = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=None if output is None else subprocess.STDOUT,
        start_new_session=True,
        env=environment,
    )
    received = 0

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal received
        send, message = _ESCALATION[min(received, len(_ESCALATION) - 1)]
        received += 1
        print(f"\nauthload: {message}", file=sys.stderr, flush=True)
        try:
            if send == signal.SIGTERM:
                child.send_signal(send)  # the master stops its workers itself
            else:  # the whole group: --processes workers too (the mock watches its parent)
                os.killpg(child.pid, send)
        except ProcessLookupError:
            pass

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if child.poll() is None:
            child.kill()


__all__ = ["RunResult", "check", "locust_command", "run", "run_child", "ui"]
