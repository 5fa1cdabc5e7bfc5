"""The plan: what a process needs to run the scenario's flows, and how it travels to workers.

The master (or the only process) builds it from the scenario and environment files the
options name; workers receive it sealed (`distributed`), so they need neither file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...common._run_id import new_run_id
from ...mock import MockConfig, MockProcess
from ...pool import header
from ...scenario import Environment, Scenario, Target, environment_path, load_run_files
from ..load._driver import check_tls


@dataclass
class Plan:
    """Everything a process needs to run the scenario's flows."""

    scenario: Scenario
    scenario_file: str
    environment_name: str
    backend: str
    target: Target
    run_id: str
    report_dir: Path
    options_key: tuple[str, str] = ("", "")  # (scenario, env) as named on the command line or form
    env_file: str = ""  # absolute path of the environment file: `authload cleanup` reads its keys there

    @property
    def secrets(self) -> list[str]:
        """Every value no output may contain: the environment's keys and headers, the scenario's
        `${VAR}`s."""
        return [*self.target.secrets(), *self.scenario.secrets]

    def ledger_head(self) -> dict[str, Any]:
        """The first record of this run's ledgers: where its users live (no keys)."""
        return header(
            run_id=self.run_id,
            backend=self.backend,
            environment=self.environment_name,
            env_file=self.env_file,
            rest_base_url=self.target.rest_base_url,
            app_id=self.target.app_id,
            cleanup=self.scenario.identities.cleanup,
        )

    def to_message(self) -> dict[str, Any]:
        """The plan as plain data for a worker (msgpack-able)."""
        return {
            "scenario": self.scenario.model_dump(mode="json"),
            "scenario_secrets": list(self.scenario.secrets),
            "scenario_file": self.scenario_file,
            "environment_name": self.environment_name,
            "backend": self.backend,
            "target": self.target.model_dump(),
            "run_id": self.run_id,
            "report_dir": str(self.report_dir),
            "env_file": self.env_file,
        }

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> Plan:
        scenario = Scenario.model_validate(data["scenario"])
        return cls(
            scenario=scenario.with_secrets(data.get("scenario_secrets", [])),
            scenario_file=data["scenario_file"],
            environment_name=data["environment_name"],
            backend=data["backend"],
            target=Target.model_validate(data["target"]),
            run_id=data["run_id"],
            report_dir=Path(data["report_dir"]),
            env_file=data.get("env_file", ""),
        )


def read_files(options: Any) -> tuple[Scenario, Environment]:
    """Load and check the scenario and environment the options name."""
    return load_run_files(
        options.scenario, options.env, options.config_dir, allow_auth_key=options.allow_auth_key
    )


class Files:
    """Which scenario and environment a start uses: the command line's, or the web form's."""

    def __init__(self, options: Any) -> None:
        self.scenario: str = options.scenario
        self.env: str = options.env
        self.config_dir: str = options.config_dir
        self.allow_auth_key: bool = bool(options.allow_auth_key)

    @property
    def key(self) -> tuple[str, str]:
        return (self.scenario, self.env)


def build_plan(
    files: Files, options: Any, environment: Any, mock: MockProcess | None
) -> tuple[Plan, MockProcess | None]:
    """The plan of a start from these files, and the embedded mock it runs against (started, or
    restarted when its settings changed) if the environment asks for one. TLS is checked here:
    a certificate that does not verify ends the start before anything is sent."""
    scenario, env = read_files(files)
    # Only a --host given on the command line overrides the environment's own hosts: a web UI
    # start that switches environments must not go to the previous start's backend.
    base_url = getattr(options, "host", None) or None
    if env.embedded_mock and not base_url:
        mock = _embedded_mock(mock, env.mock_config())
        base_url = environment.host = mock.base_url
    target = env.resolve(base_url)
    check_tls(target)
    run_id = options.run_id or new_run_id()
    plan = Plan(
        scenario=scenario,
        scenario_file=files.scenario,
        environment_name=env.name,
        backend=env.backend,
        target=target,
        run_id=run_id,
        report_dir=Path(options.report_dir) / run_id,
        options_key=files.key,
        env_file=str(environment_path(files.env, files.config_dir).resolve()),
    )
    return plan, mock


def _embedded_mock(mock: MockProcess | None, config: MockConfig) -> MockProcess:
    """The embedded mock with these settings: the running one, or a new one when they changed."""
    if mock is not None and mock.config != config:
        mock.stop()
        mock = None
    if mock is None:
        mock = MockProcess(config)
        mock.start()
    return mock


def apply_scenario_defaults(options: Any, plan: Plan) -> None:
    """The scenario's `load` fills in whatever the command line left out."""
    load = plan.scenario.load
    if options.num_users is None:
        options.num_users = load.users
    if options.spawn_rate is None:
        options.spawn_rate = load.spawn_rate
    if options.run_time is None and options.headless:
        options.run_time = max(1, round(load.run_time))
