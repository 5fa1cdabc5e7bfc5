"""What one Locust process knows about the run: the plan, identities, figures.

The master (or the only process) builds the plan from the scenario and
environment files named by the options; workers receive it by message, so they
need neither file. State is kept per Locust `Environment`.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from ..protocol._steps import Identity
from ..scenario import Environment, Scenario, Target, load_run_files
from ._metrics import Recorder


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

    def to_message(self) -> dict[str, Any]:
        """The plan as plain data for a worker (msgpack-able)."""
        return {
            "scenario": self.scenario.model_dump(mode="json"),
            "scenario_file": self.scenario_file,
            "environment_name": self.environment_name,
            "backend": self.backend,
            "target": self.target.model_dump(),
            "run_id": self.run_id,
            "report_dir": str(self.report_dir),
        }

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> Plan:
        return cls(
            scenario=Scenario.model_validate(data["scenario"]),
            scenario_file=data["scenario_file"],
            environment_name=data["environment_name"],
            backend=data["backend"],
            target=Target.model_validate(data["target"]),
            run_id=data["run_id"],
            report_dir=Path(data["report_dir"]),
        )


def read_files(options: Any) -> tuple[Scenario, Environment]:
    """Load and check the scenario and environment the options name."""
    return load_run_files(
        options.scenario, options.env, options.config_dir, allow_auth_key=options.allow_auth_key
    )


@dataclass
class RunState:
    """Per-process state of one run."""

    plan: Plan | None = None
    recorder: Recorder = field(default_factory=Recorder)
    pool: list[Identity] | None = None  # None: not provisioned yet
    free: deque[Identity] = field(default_factory=deque)
    provisioned: list[str] = field(default_factory=list)  # uids provisioning created
    created: set[str] = field(default_factory=set)  # uids flows created and did not delete
    worker_index: int = 0
    expected_workers: set[str] = field(default_factory=set)  # master: workers given a plan
    finished_workers: set[str] = field(default_factory=set)  # master: workers that sent final figures
    started_at: float = 0.0
    stopped_at: float = 0.0
    fatal: str | None = None
    interrupted: bool = False
    reported: bool = False  # this test's summary is written (test_stop may fire twice)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def new_uid(self) -> str:
        """A uid no other process or earlier run uses (uids are lowercase)."""
        assert self.plan is not None
        prefix = self.plan.scenario.identities.uid_prefix
        return f"{prefix}{self.plan.run_id.lower()}-w{self.worker_index}-{next(self._counter)}"

    def set_identities(self, identities: list[Identity]) -> None:
        self.pool = identities
        self.free = deque(identities)

    def take_identity(self) -> tuple[Identity | None, bool]:
        """A provisioned identity for one cycle, and whether it must be given back.

        Each identity serves one virtual user at a time while there are enough;
        with more users than identities, the extra users share them.
        """
        if self.free:
            return self.free.popleft(), True
        return (random.choice(self.pool) if self.pool else None), False

    def give_back(self, identity: Identity) -> None:
        self.free.append(identity)


_STATES: WeakKeyDictionary[Any, RunState] = WeakKeyDictionary()


def state_of(environment: Any) -> RunState:
    """The run state of a Locust environment, created on first use."""
    state = _STATES.get(environment)
    if state is None:
        state = _STATES[environment] = RunState()
    return state
