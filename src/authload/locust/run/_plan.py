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

from ...pool._ledger import LedgerWriter, header, ledger_path
from ...protocol._steps import Identity
from ...report._recorder import Recorder
from ...scenario import Environment, Scenario, Target, load_run_files
from ..distributed._membership import WorkerBook
from ..distributed._runkey import RunKey


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


@dataclass
class RunState:
    """Per-process state of one run."""

    plan: Plan | None = None
    recorder: Recorder = field(default_factory=Recorder)
    pool: list[Identity] | None = None  # None: not provisioned yet
    free: deque[Identity] = field(default_factory=deque)
    provisioned: list[str] = field(default_factory=list)  # uids provisioning created
    provisioning_requests: int = 0  # what provisioning sent (not load; the backend counts it too)
    created: set[str] = field(default_factory=set)  # uids flows created and did not delete
    unsettled: set[str] = field(default_factory=set)  # uids flows tried to create, answer not (yet) OK
    ledger: LedgerWriter | None = None
    worker_index: int = 0
    worker_count: int = 1  # processes sharing the load (an open model's rate is split among them)
    origin: float | None = None  # worker: this process's monotonic time of the run's second 0
    expected_workers: set[str] = field(default_factory=set)  # master: workers given a plan
    finished_workers: set[str] = field(default_factory=set)  # master: workers that sent final figures
    lost_workers: dict[str, float] = field(default_factory=dict)  # master: worker id -> when it was lost
    run_key: RunKey | None = None  # distributed runs only (see `_runkey`)
    book: WorkerBook = field(default_factory=WorkerBook)
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
        uid = f"{prefix}{self.plan.run_id.lower()}-w{self.worker_index}-{next(self._counter)}"
        # Known before the request goes out: a create whose answer is lost (reset, timeout, crash)
        # may still have made the user. `_user` settles it when the answer says created.
        self.unsettled.add(uid)
        self.journal().tried((uid,))
        return uid

    def journal(self) -> LedgerWriter:
        """This process's ledger of the current run (a web UI start is a new run, a new ledger)."""
        plan = self.plan
        assert plan is not None
        path = ledger_path(plan.report_dir)
        if self.ledger is None or self.ledger.path != path:
            if self.ledger is not None:
                self.ledger.close()
            head = header(
                run_id=plan.run_id,
                backend=plan.backend,
                environment=plan.environment_name,
                env_file=plan.env_file,
                rest_base_url=plan.target.rest_base_url,
                app_id=plan.target.app_id,
                cleanup=plan.scenario.identities.cleanup,
            )
            self.ledger = LedgerWriter(path, head)
        return self.ledger

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
