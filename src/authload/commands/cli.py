"""The `authload` command: parse, call the public API, print, exit.

Exit codes (also in the README): 0 every threshold holds, 1 a threshold
failed, 2 a configuration error, 3 the run could not complete.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import (
    EXIT_CONFIG_ERROR,
    EXIT_OK,
    EXIT_THRESHOLDS_FAILED,
    AuthloadError,
    Config,
    ConfigError,
    Environment,
    MockConfig,
    RunError,
    load_environment,
    run,
    ui,
)
from ..common import one_line
from ..mock import parse_fault_spec
from ..protocol import wire
from ..scenario import Scenario, check_file, check_pair, environment_path

PASS_THROUGH = ("run", "ui", "capacity")  # commands that take Locust's own options after `--`
PASS_THROUGH_HELP = "Locust's own options go after --, e.g. `authload run smoke -- --otel`."


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    """One option per `Config` field, so the CLI and `Config` cannot drift apart."""
    for item in fields(Config):
        meta = item.metadata
        if meta.get("after_dashes"):
            continue  # everything after `--` (see `main`)
        if meta.get("positional"):
            parser.add_argument(item.name, nargs="?", default=item.default, help=meta["help"])
            continue
        flag = "--" + item.name.replace("_", "-")
        if item.type in (bool, "bool"):
            parser.add_argument(flag, action="store_true", default=item.default, help=meta["help"])
            continue
        kind = {"int | None": int, "float | None": float}.get(str(item.type), str)
        parser.add_argument(flag, type=kind, default=item.default, help=meta["help"])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="authload", description="Load-test the CometChat auth flow.")
    parser.add_argument("--version", action="version", version=f"authload {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    init_parser = commands.add_parser("init", help="start a project: scenarios, environments, CI workflow")
    init_parser.add_argument("folder", nargs="?", default=".", type=Path, help="where (default: here)")
    init_parser.add_argument("--force", action="store_true", help="overwrite files that are there")
    run_parser = commands.add_parser(
        "run",
        help="run a scenario headless and report (default: smoke on the mock)",
        epilog=PASS_THROUGH_HELP,
    )
    _add_config_options(run_parser)
    _add_capacity_parser(commands)
    ui_parser = commands.add_parser(
        "ui", help="open Locust's web UI for a scenario", epilog=PASS_THROUGH_HELP
    )
    _add_config_options(ui_parser)
    mock_parser = commands.add_parser("mock", help="run the mock CometChat backend")
    mock_parser.add_argument("--host", default="127.0.0.1", help="interface (default: loopback)")
    mock_parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    mock_parser.add_argument("--env", default="mock", help="mock environment whose `mock:` settings to use")
    mock_parser.add_argument("--config-dir", default="config")
    mock_parser.add_argument("--seed", type=int, help="seed of the fault RNG (runs reproduce)")
    mock_parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:ROUTE][,key=value...]",
        help="inject a fault, e.g. error:me.login,probability=0.1,status=500 (repeatable; "
        "kinds: latency, error, reset, non_json, slow_body)",
    )
    mock_parser.add_argument(
        "--rate-limits", action="store_true", help="apply CometChat's per-minute limits (off by default)"
    )
    mock_parser.add_argument("--tls-cert", metavar="FILE", help="PEM certificate: serve HTTPS and WSS")
    mock_parser.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")
    _add_cleanup_parser(commands)
    validate_parser = commands.add_parser("validate", help="check scenario and environment files")
    validate_parser.add_argument("files", nargs="+", type=Path)
    validate_parser.add_argument(
        "--env", help="also check the scenarios' credentials against this environment (name or file)"
    )
    _add_report_parsers(commands)
    return parser


def _add_capacity_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "capacity",
        help="find the highest arrival rate at which every SLO rule holds (exit 3: generator-limited)",
    )
    parser.add_argument(
        "scenario",
        nargs="?",
        default="login_storm",
        help="scenario: a YAML file or a name (default: login_storm)",
    )
    parser.add_argument(
        "--env", default="mock", help="environment: a name or a YAML path (default: the mock)"
    )
    parser.add_argument("--config-dir", default="config", help="folder of environment files")
    parser.add_argument("--report-dir", default="reports", help="reports go to REPORT_DIR/RUN_ID/")
    parser.add_argument(
        "--slo",
        action="append",
        default=[],
        metavar="RULE",
        help="a rule every hold must keep, e.g. 'login_auth_token.p95 < 250ms' (repeatable; "
        "default: the scenario's thresholds)",
    )
    parser.add_argument("--from", dest="from_rate", default="10/s", help="first rate (10/s)")
    parser.add_argument("--to", dest="to_rate", default="10000/s", help="highest rate tried (10000/s)")
    parser.add_argument("--hold", default="20s", help="judged part of each probe (20s)")
    parser.add_argument("--settle", default="5s", help="unjudged start of each probe (5s)")
    parser.add_argument(
        "--precision", default="10%", help="stop when good and bad rates are this close (10%%)"
    )
    parser.add_argument(
        "--max-users", type=int, help="virtual users per probe (default: 4 s of cycles at its rate, 50-20000)"
    )
    parser.add_argument("--processes", type=int, help="Locust worker processes per probe (-1: one per core)")
    parser.add_argument("--allow-auth-key", action="store_true", help="allow Auth Key logins on production")
    parser.add_argument("--metrics-port", type=int, help="each probe serves live metrics at /metrics here")
    parser.add_argument("--metrics-host", default="127.0.0.1", help="the metrics endpoint's interface")
    parser.add_argument("--metrics-linger", type=float, help="seconds each probe's final figures stay served")


def _capacity(args: argparse.Namespace) -> int:
    from ._capacity import CapacityConfig, capacity

    names = [item.name for item in fields(CapacityConfig)]
    return capacity(CapacityConfig(**{name: getattr(args, name) for name in names})).exit_code


def _add_report_parsers(commands: Any) -> None:
    parser = commands.add_parser("compare", help="compare a run with a baseline run (exit 1 on a regression)")
    parser.add_argument("base", type=Path, help="baseline: a run folder or its summary.json")
    parser.add_argument("new", type=Path, help="the run to judge: a run folder or its summary.json")
    parser.add_argument("--tolerance", type=float, default=10.0, help="percent change allowed (10)")
    parser.add_argument("--min-delta-ms", type=float, default=2.0, help="latency change ignored below (2)")
    parser.add_argument(
        "--error-tolerance", type=float, default=0.5, help="error-rate rise allowed, percentage points (0.5)"
    )
    parser.add_argument("--min-requests", type=int, default=100, help="entries with fewer are not judged")
    schema = commands.add_parser("schema", help="print a JSON Schema (scenario, environment, summary.json)")
    schema.add_argument(
        "which", nargs="?", default="scenario", choices=("scenario", "environment", "summary")
    )


def _compare(args: argparse.Namespace) -> int:
    from ..report import Tolerance, append_step_summary, compare, entries, read_summary, regressions, render

    base, new = read_summary(args.base), read_summary(args.new)
    tolerance = Tolerance(
        relative=args.tolerance / 100,
        min_delta_ms=args.min_delta_ms,
        error_rate=args.error_tolerance / 100,
        min_requests=args.min_requests,
    )
    changes = compare(entries(base), entries(new), tolerance)
    text = render(changes, str(base.get("run_id")), str(new.get("run_id")), tolerance)
    print(text)
    append_step_summary(f"### {text.splitlines()[-1]}\n\n{text}")  # on the CI job page too
    return EXIT_THRESHOLDS_FAILED if regressions(changes) else EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from ._schema import schema_text

    print(schema_text(args.which), end="")
    return EXIT_OK


def _add_cleanup_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "cleanup", help="delete the users an earlier run left behind (from its ledger)"
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("run_id", nargs="?", help="the run whose leftovers to delete (its report folder)")
    which.add_argument(
        "--all-from-ledger", action="store_true", help="every run in --report-dir with users left"
    )
    parser.add_argument("--report-dir", default="reports", help="where the run folders are")
    parser.add_argument("--env", help="environment to use instead of the one the ledger names")
    parser.add_argument("--config-dir", default="config", help="where --env NAME is looked up")


def _cleanup(args: argparse.Namespace) -> int:
    from ._cleanup import clean_up_runs

    run_id = None if args.all_from_ledger else args.run_id
    return clean_up_runs(Path(args.report_dir), run_id, env=args.env, config_dir=args.config_dir)


def _config(args: argparse.Namespace) -> Config:
    return Config(**{item.name: getattr(args, item.name) for item in fields(Config)})


def _split_locust_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """`authload run S -- --otel`: authload's arguments, and Locust's after the first `--`."""
    if "--" in argv and any(command in argv[: argv.index("--")] for command in PASS_THROUGH):
        index = argv.index("--")
        return argv[:index], argv[index + 1 :]
    return argv, []


def _run(args: argparse.Namespace) -> int:
    result = run(_config(args))
    if result.summary is None:
        print("authload: the run stopped on a configuration error (see above)", file=sys.stderr)
    return result.exit_code


def _ui(args: argparse.Namespace) -> int:
    return ui(_config(args))


def _mock_settings(args: argparse.Namespace) -> MockConfig:
    """The environment's mock settings, with the command line's faults, seed and limits on top."""
    base = load_environment(args.env, args.config_dir).mock_config().model_dump()
    faults = [*base["faults"], *(_fault_rule(text) for text in args.fault)]
    if args.seed is not None:
        base["seed"] = args.seed
    if args.rate_limits:
        base["rate_limits"] = {**base["rate_limits"], "enabled": True}
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together")
    for option, name in ((args.tls_cert, "tls_cert"), (args.tls_key, "tls_key")):
        if option:
            if not Path(option).is_file():
                raise ConfigError(f"--{name.replace('_', '-')} {option}: no such file")
            base[name] = str(Path(option).resolve())
    try:
        return MockConfig.model_validate({**base, "faults": faults})
    except ValidationError as error:
        raise ConfigError(f"mock settings: {one_line(error.errors())}") from None


def _fault_rule(text: str) -> dict[str, Any]:
    """One `--fault` word, checked on its own so that the error can quote it."""
    try:
        rule = parse_fault_spec(text)
        MockConfig.model_validate({"faults": [rule]})
    except ValidationError as error:
        raise ConfigError(f"--fault {text!r}: {one_line(error.errors(), last_only=True)}") from None
    except ValueError as error:
        raise ConfigError(str(error)) from None
    return rule


def _mock(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: a port is 0-65535 (0: any free port)")
    settings = _mock_settings(args)
    listening = False

    def ready(base_url: str) -> None:
        nonlocal listening
        listening = True
        print(f"authload mock listening on {base_url}", flush=True)
        print(f"  app id:       {settings.app_id}  (region {settings.region})")
        print(f"  REST API key: {settings.rest_api_key}  (fullAccess)")
        print(f"  Auth Key:     {settings.auth_key}  (authOnly)")
        login = f"{base_url}{wire.APP_PREFIX}{wire.APP_LOGIN}"
        print(f"  app server:   POST {login} with {wire.H_AUTHORIZATION}: {wire.BEARER}{settings.app_secret}")
        print("  admin:        GET /_mock/stats, POST /_mock/reset; Ctrl-C stops", flush=True)

    from .. import serve_mock  # the ASGI stack loads only for this command

    try:
        serve_mock(settings, host=args.host, port=args.port, on_ready=ready)
    except OSError as error:
        if listening:
            raise
        raise _bind_error(args.host, args.port, error) from None
    return EXIT_OK


def _bind_error(host: str, port: int, error: OSError) -> AuthloadError:
    """Why `host:port` cannot be listened on: a wrong value is exit 2, a busy port exit 3."""
    where = f"cannot listen on {host}:{port}"
    if isinstance(error, socket.gaierror):
        return ConfigError(f"{where}: {host!r} is not a known host name or address")
    if error.errno == errno.EADDRNOTAVAIL:
        return ConfigError(f"{where}: {host} is not an address of this machine")
    if error.errno == errno.EADDRINUSE:
        return RunError(f"{where}: the port is in use (another process listens on it; try --port 0)")
    return RunError(f"{where}: {error.strerror or error}")


def _validate(args: argparse.Namespace) -> int:
    """Each file alone; then each scenario against each environment given (positional or `--env`)."""
    status = EXIT_OK
    checked: list[tuple[Path, Scenario | Environment]] = []
    paths = [*args.files, *([environment_path(args.env)] if args.env else [])]
    for path in paths:
        try:
            item = check_file(path)
            checked.append((path, item))
            if path in args.files:
                print(f"ok: {path}: {_describe(item)}")
        except ConfigError as error:
            print(f"authload: {error}", file=sys.stderr)
            status = EXIT_CONFIG_ERROR
    envs = [(path, item) for path, item in checked if isinstance(item, Environment)]
    for path, scenario in checked:
        for env_path, env in envs:
            if not isinstance(scenario, Scenario):
                break
            try:
                check_pair(scenario, env, env_path)
            except ConfigError as error:
                print(f"authload: {path} with {error}", file=sys.stderr)
                status = EXIT_CONFIG_ERROR
    return status


def _describe(checked: Scenario | Environment) -> str:
    if isinstance(checked, Environment):
        return f"environment {checked.name!r} ({checked.backend})"
    rules = checked.parsed_thresholds()
    guard = " (the default guard)" if checked.thresholds is None else ""
    return f"scenario {checked.name!r}: {len(checked.flows)} flows, {len(rules)} thresholds{guard}"


def _init(args: argparse.Namespace) -> int:
    from ._init import init

    return init(args.folder, force=args.force)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("authload")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


COMMANDS = {
    "init": _init,
    "run": _run,
    "capacity": _capacity,
    "ui": _ui,
    "mock": _mock,
    "validate": _validate,
    "cleanup": _cleanup,
    "compare": _compare,
    "schema": _schema,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `authload` script."""
    own, locust_args = _split_locust_args(list(sys.argv[1:] if argv is None else argv))
    args = _parser().parse_args(own)
    args.locust_args = locust_args
    if locust_args and args.command not in PASS_THROUGH:
        print(f"authload: {args.command} takes no options after --", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    try:
        return COMMANDS[args.command](args)
    except AuthloadError as error:
        print(f"authload: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
