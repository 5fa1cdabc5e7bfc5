"""The run's summary: figures per step, per flow cycle and in total, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..common._errors import EXIT_OK, EXIT_RUN_ERROR, EXIT_THRESHOLDS_FAILED
from ._figures import Figures
from ._verdict import Verdict

COMPLETED, INTERRUPTED, ERROR = "completed", "interrupted", "error"


@dataclass
class RunSummary:
    """Everything `summary.json` holds."""

    run_id: str
    scenario: str
    scenario_file: str
    environment: str
    backend: str
    started_at: str
    duration_s: float
    steps: dict[str, Figures]
    cycles: dict[str, Figures]
    total: Figures
    verdicts: list[Verdict]
    status: str = COMPLETED
    error: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    distributed: dict[str, Any] | None = None  # workers' figures, lost and rejected workers
    open_model: dict[str, Any] | None = None  # `arrivals` and `intended` of an arrival-rate run
    http: dict[str, Any] | None = None  # HTTP requests as the backend counts them (load, setup, cleanup)
    stalls: list[dict[str, Any]] = field(default_factory=list)  # spans with requests in flight, none done
    load: dict[str, Any] = field(default_factory=dict)  # what was asked (users, or rate and stages, ...)
    capacity: dict[str, Any] | None = None  # `authload capacity`: the search and its result
    generator: dict[str, Any] = field(default_factory=dict)  # the load generator's CPU per process

    @property
    def passed(self) -> bool:
        """Every threshold held and the run completed."""
        return self.status == COMPLETED and all(verdict.passed for verdict in self.verdicts)

    @property
    def exit_code(self) -> int:
        """0 pass, 1 a threshold failed, 3 the run did not complete."""
        if self.status != COMPLETED:
            return EXIT_RUN_ERROR
        return EXIT_OK if self.passed else EXIT_THRESHOLDS_FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "scenario": {"name": self.scenario, "file": self.scenario_file},
            "environment": {"name": self.environment, "backend": self.backend},
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "status": self.status,
            "error": self.error,
            "steps": {name: figures.to_json() for name, figures in self.steps.items()},
            "cycles": {name: figures.to_json() for name, figures in self.cycles.items()},
            "total": self.total.to_json(),
            "thresholds": [verdict.to_json() for verdict in self.verdicts],
            "verdict": "pass" if self.passed else "fail",
            "exit_code": self.exit_code,
            "files": self.files,
            **({"http": self.http} if self.http is not None else {}),
            "stalls": self.stalls,
            **({"generator": self.generator} if self.generator else {}),
            **({"capacity": self.capacity} if self.capacity is not None else {}),
            **(self.distributed or {}),
            **(self.open_model or {}),
        }
