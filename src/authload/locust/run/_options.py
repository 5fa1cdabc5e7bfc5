"""authload's options on Locust's own command line (and in its web UI's start form)."""

from __future__ import annotations

from typing import Any

from ..distributed._runkey import draw_family_key

LOOPBACK = "127.0.0.1"

OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "--scenario",
        {"default": "smoke", "help": "scenario: a YAML file, or a name (scenarios/NAME.yaml, else built in)"},
    ),
    (
        "--env",
        {"default": "mock", "help": "environment: a name (--config-dir/NAME.yaml, else built in) or a path"},
    ),
    ("--config-dir", {"default": "config", "help": "folder of environment files"}),
    ("--report-dir", {"default": "reports", "help": "reports go to REPORT_DIR/RUN_ID/"}),
    ("--run-id", {"default": "", "help": "run id (default: time-sortable, generated)"}),
    ("--baseline", {"default": "", "help": "run folder or summary.json for '< +10%% baseline' rules"}),
    (
        "--measure-from",
        {"default": "", "help": "seconds into the run the figures start (a capacity probe's settle)"},
    ),
    ("--metrics-port", {"default": "", "help": "serve live Prometheus metrics on this port (0: any free)"}),
    ("--metrics-host", {"default": LOOPBACK, "help": "interface of the metrics endpoint (loopback)"}),
    ("--metrics-linger", {"default": "5", "help": "seconds the final figures stay served after the run"}),
)


def add_arguments(parser: Any) -> None:
    """Listener of Locust's `init_command_line_parser`.

    Locust fires it before it forks `--processes` workers: the run key drawn
    here is what those workers inherit. Locust's master listens on every
    interface unless told otherwise; authload's listens on loopback unless
    `--master-bind-host` (or LOCUST_MASTER_BIND_HOST) names an interface.
    """
    draw_family_key()
    parser.set_defaults(master_bind_host=LOOPBACK)
    for flag, spec in OPTIONS:
        env_var = "AUTHLOAD_" + flag.removeprefix("--").replace("-", "_").upper()
        in_ui = flag in ("--scenario", "--env")  # what a person picks per run in the start form
        parser.add_argument(flag, type=str, env_var=env_var, include_in_web_ui=in_ui, **spec)
    parser.add_argument(
        "--allow-auth-key",
        action="store_true",
        default=False,
        env_var="AUTHLOAD_ALLOW_AUTH_KEY",
        include_in_web_ui=True,
        help="allow Auth Key logins on a production environment",
    )
