"""`Config`: one run's settings. The CLI's `run` and `ui` options are generated
from these fields, so the two cannot disagree (a test checks it)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


def _option(help_text: str, **extra: Any) -> Any:
    return field(default=extra.pop("default", None), metadata={"help": help_text, **extra})


@dataclass
class Config:
    """What to run, where, and how hard. `None` means: take it from the scenario."""

    scenario: str = _option(
        "scenario: a YAML file, or a name (smoke: scenarios/smoke.yaml here, else the built-in)",
        default="smoke",
        positional=True,
    )
    env: str = _option(
        "environment: a name (config/NAME.yaml here, else built in) or a YAML path", default="mock"
    )
    users: int | None = _option("peak number of virtual users (default: the scenario's load.users)")
    spawn_rate: float | None = _option("users started per second (default: the scenario's)")
    run_time: str | None = _option("run time, e.g. 30s or 2m (default: the scenario's)")
    report_dir: str = _option("reports go to REPORT_DIR/RUN_ID/", default="reports")
    config_dir: str = _option("folder of environment files", default="config")
    allow_auth_key: bool = _option("allow Auth Key logins on a production environment", default=False)
    processes: int | None = _option("Locust worker processes on this machine (-1: one per core)")
    web_host: str = _option("authload ui: address the web UI listens on", default="127.0.0.1")
    web_port: int | None = _option("authload ui: the web UI's port (default: Locust's, 8089)")
    baseline: str | None = _option("a run folder or summary.json: the limits of '< +10%% baseline' rules")
    metrics_port: int | None = _option("serve live Prometheus metrics at /metrics on this port (0: any free)")
    metrics_host: str = _option("the metrics endpoint's interface", default="127.0.0.1")
    metrics_linger: float | None = _option("seconds the final figures stay served after the run (default 5)")
    locust_args: list[str] = field(
        default_factory=list, metadata={"help": "Locust's own options, after --", "after_dashes": True}
    )


def config_fields() -> list[str]:
    """The names of every `Config` field, in order."""
    return [item.name for item in fields(Config)]
