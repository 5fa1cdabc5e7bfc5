"""Stages and the open model through Locust's `LoadTestShape` (headless, web UI, distributed).

Locust uses a shape class found in the locustfile for every run; authload's acts
only when the scenario needs it. At `init` (and, in the web UI, on each POST
/swarm, after the form's files are known) it is installed as the environment's
shape, or removed so Locust's plain `-u/-r/-t` path runs unchanged:

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
from locust.runners import MasterRunner, WorkerRunner

from ...scenario import Load, load_scenario
from ...scenario._load import users_at
from ..run._plan import state_of
from ._arrivals import ArrivalUser
from ._user import AuthFlowUser

END_SLACK = 0.5  # seconds after the last arrival's time before the run may end (cycles finish)


def needs_shape(load: Load) -> bool:
    return load.open_model or bool(load.stages)


class ScenarioShape(LoadTestShape):
    """The scenario's stages or arrivals, one tick a second; None ends the run."""

    use_common_options = True  # the start form keeps users / spawn rate (plain scenarios use them)

    def tick(self) -> tuple[int, float, list[type[Any]]] | None:
        assert self.runner is not None
        environment = self.runner.environment
        plan = state_of(environment).plan
        options = environment.parsed_options
        if plan is None or options is None:
            return None
        load = plan.scenario.load
        elapsed = self.get_run_time()
        end = float(getattr(options, "run_time", None) or load.run_time)
        if load.open_model:
            if elapsed >= end + END_SLACK:
                return None
            processes = max(1, self.runner.worker_count) if isinstance(self.runner, MasterRunner) else 1
            # All schedulers at once (at a spawn rate of `processes`, worker i's would start i/n s late).
            return processes, float(processes) * 100, [ArrivalUser]
        if load.stages:
            now = users_at(load.stages, elapsed, load.spawn_rate) if elapsed < end else None
            return None if now is None else (now[0], now[1], [AuthFlowUser])
        return (
            int(options.num_users or load.users),
            float(options.spawn_rate or load.spawn_rate),
            [AuthFlowUser],
        )


_shapes: dict[int, ScenarioShape] = {}


def use_shape_for(environment: Any, load: Load) -> None:
    """Install the shape (and the user class it spawns) when `load` needs it, else remove it."""
    shape = _shapes.setdefault(id(environment), environment.shape_class or ScenarioShape())
    shape.runner = environment.runner
    if needs_shape(load):
        environment.shape_class = shape
        environment.user_classes = [ArrivalUser if load.open_model else AuthFlowUser]
    else:
        environment.shape_class = None
        environment.user_classes = [AuthFlowUser]


def on_init(environment: Any, runner: Any, web_ui: Any = None, **_: Any) -> None:
    """Listener of Locust's `init`, after the run's own (which read the scenario)."""
    if isinstance(runner, WorkerRunner):
        return  # workers spawn what the master dispatches, by class name
    plan = state_of(environment).plan
    if plan is not None:
        use_shape_for(environment, plan.scenario.load)
    if web_ui is not None:
        web_ui.app.before_request(lambda: _before_swarm(environment))


def _before_swarm(environment: Any) -> None:
    """Web UI: the form may name another scenario; its load decides the shape before Locust's
    /swarm handler reads `environment.shape_class`. A file that does not load is the start gate's
    (or test_start's) to refuse; here it changes nothing."""
    from flask import request

    if request.method != "POST" or not request.path.endswith("/swarm"):
        return
    name = request.form.get("scenario") or environment.parsed_options.scenario
    try:
        load = load_scenario(name).load
    except Exception:  # refused (with file:line) where starts are checked
        return
    use_shape_for(environment, load)


__all__ = ["ScenarioShape", "needs_shape", "on_init"]
