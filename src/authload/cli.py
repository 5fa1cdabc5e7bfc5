"""The `authload` command: parse, call the public API, print, exit.

Exit codes (also in the README): 0 every threshold holds, 1 a threshold
failed, 2 a configuration error, 3 the run could not complete.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import (
    EXIT_CONFIG_ERROR,
    EXIT_OK,
    AuthloadError,
    Config,
    ConfigError,
    MockConfig,
    load_environment,
    load_scenario,
    run,
    ui,
)
from .mock import parse_fault_spec


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    """One option per `Config` field, so the CLI and `Config` cannot drift apart."""
    for item in fields(Config):
        meta = item.metadata
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
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser(
        "run", help="run a scenario headless and report (default: smoke on the mock)"
    )
    _add_config_options(run_parser)
    ui_parser = commands.add_parser("ui", help="open Locust's web UI for a scenario")
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
    validate_parser = commands.add_parser("validate", help="check scenario and environment files")
    validate_parser.add_argument("files", nargs="+", type=Path)
    return parser


def _config(args: argparse.Namespace) -> Config:
    return Config(**{item.name: getattr(args, item.name) for item in fields(Config)})


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
    try:
        faults = [*base["faults"], *(parse_fault_spec(text) for text in args.fault)]
        if args.seed is not None:
            base["seed"] = args.seed
        if args.rate_limits:
            base["rate_limits"] = {**base["rate_limits"], "enabled": True}
        return MockConfig.model_validate({**base, "faults": faults})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"mock settings: {problems}") from None
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _mock(args: argparse.Namespace) -> int:
    settings = _mock_settings(args)

    def ready(base_url: str) -> None:
        print(f"authload mock listening on {base_url}", flush=True)
        print(f"  app id:       {settings.app_id}  (region {settings.region})")
        print(f"  REST API key: {settings.rest_api_key}  (fullAccess)")
        print(f"  Auth Key:     {settings.auth_key}  (authOnly)")
        print("  admin:        GET /_mock/stats, POST /_mock/reset; Ctrl-C stops", flush=True)

    from . import serve_mock  # the ASGI stack loads only for this command

    serve_mock(settings, host=args.host, port=args.port, on_ready=ready)
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for path in args.files:
        try:
            print(f"ok: {path}: {_describe(path)}")
        except ConfigError as error:
            print(f"authload: {error}", file=sys.stderr)
            status = EXIT_CONFIG_ERROR
    return status


def _describe(path: Path) -> str:
    import yaml

    try:
        head: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        head = None  # the loader below reports it with file and line
    if isinstance(head, dict) and "backend" in head:
        environment = load_environment(path, environ=_placeholders(path))
        return f"environment {environment.name!r} ({environment.backend})"
    scenario = load_scenario(path)
    return f"scenario {scenario.name!r}: {len(scenario.flows)} flows, {len(scenario.thresholds)} thresholds"


def _placeholders(path: Path) -> dict[str, str]:
    """Validate a template without its secrets: unset `${VAR}`s get a stand-in value."""
    import os
    import re

    names = re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", path.read_text(encoding="utf-8"))  # no default
    return {**{name: f"unset-{name}" for name in names}, **os.environ}


COMMANDS = {"run": _run, "ui": _ui, "mock": _mock, "validate": _validate}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `authload` script."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AuthloadError as error:
        print(f"authload: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
