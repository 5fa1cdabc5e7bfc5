"""Stages and the open model through Locust's `LoadTestShape` (headless, web UI, distributed).

Locust uses a shape class found in the locustfile for every run; authload's is bound to its
`Run`, which installs it as the environment's shape only when the scenario needs it (at
`init`, and in the web UI on each start from the form), so Locust's plain `-u/-r/-t` path
runs unchanged otherwise:

| scenario `load`         | shape | Locust users                         | run ends                       |
|-------------------------|-------|--------------------------------------|--------------------------------|
| users (no stages)       | none  | `AuthFlowUser` x users               | `-t` / run_time                |
| users stages            | yes   | `AuthFlowUser` x the stage's users   | after the last stage           |
| arrival_rate / stages   | yes   | `ArrivalUser` x processes (one each) | run_time (+ the tick after it) |

With `--processes` or `--master` the shape runs on the master (Locust's design);
the master's tick asks for one `ArrivalUser` per worker, and each worker's plan
says its index and the worker count, so the workers' shares add up to the rate.
"""

from __future__ import annotations

from typing import Any

from locust import LoadTestShape

from ...scenario import Load
from ...scenario._load import users_at

END_SLACK = 0.5  # seconds after the last arrival's time before the run may end (cycles finish)


def needs_shape(load: Load) -> bool:
    return load.open_model or bool(load.stages)


class ScenarioShape(LoadTestShape):
    """The scenario's stages or arrivals, one tick a second; None ends the run."""

    use_common_options = True  # the start form keeps users / spawn rate (plain scenarios use them)

    def __init__(self, run: Any = None) -> None:
        super().__init__()
        self.run = run  # Locust makes one of its own from the locustfile: the run replaces it

    def tick(self) -> tuple[int, float, list[type[Any]]] | None:
        run = self.run
        if run is None or run.plan is None or run.options is None:
            return None
        plan, options = run.plan, run.options
        load = plan.scenario.load
        elapsed = self.get_run_time()
        end = float(getattr(options, "run_time", None) or load.run_time)
        if load.open_model:
            if elapsed >= end + END_SLACK:
                return None
            processes = max(1, run.runner.worker_count) if run.role == "master" else 1
            # All schedulers at once (at a spawn rate of `processes`, worker i's would start i/n s late).
            return processes, float(processes) * 100, [run.arrival_class]
        if load.stages:
            now = users_at(load.stages, elapsed, load.spawn_rate) if elapsed < end else None
            return None if now is None else (now[0], now[1], [run.user_class])
        return (
            int(options.num_users or load.users),
            float(options.spawn_rate or load.spawn_rate),
            [run.user_class],
        )


__all__ = ["ScenarioShape", "needs_shape"]
