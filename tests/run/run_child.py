"""Drives one `Run` through its phases in this process, on Locust's own Environment and runner
(no Locust command line, no web server): `python run_child.py CASE SCENARIO MOCK_URL REPORTS`.

Importing Locust monkey-patches the interpreter, which the test process must not be, hence a
child per case; each case prints one JSON line of what it saw.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import gevent
import locust
from gevent.pool import Group
from locust.argument_parser import parse_options
from locust.env import Environment
from locust.event import Events

from authload.locust._compat import StopTest
from authload.locust.load._arrivals import ArrivalUser
from authload.locust.load._user import AuthFlowUser
from authload.locust.run._options import add_arguments
from authload.locust.run._run import Run

CASE, SCENARIO, MOCK_URL, REPORTS = sys.argv[1:5]
CONFIG = Path(REPORTS).parent / "cfg"


def make_run(*extra: str) -> Run:
    events = Events()
    events.init_command_line_parser.add_listener(add_arguments)
    locust.events.init_command_line_parser.add_listener(add_arguments)
    options = parse_options(
        ["--scenario", SCENARIO, "--env", "m", "--config-dir", str(CONFIG), "--report-dir", REPORTS, *extra]
    )
    environment = Environment(user_classes=[AuthFlowUser, ArrivalUser], parsed_options=options, events=events)
    runner = environment.create_local_runner()
    return Run(environment, runner, user_classes={"AuthFlowUser": AuthFlowUser, "ArrivalUser": ArrivalUser})


def summary(run: Run) -> Any:
    assert run.plan is not None
    path = run.plan.report_dir / "summary.json"
    return json.loads(path.read_text()) if path.exists() else None


def headless() -> dict[str, Any]:
    """prepare -> start -> a few cycles -> stop: what each phase leaves behind."""
    run = make_run("--headless")
    run.prepare()
    seen: dict[str, Any] = {
        "plan": run.plan is not None,
        "users": run.options.num_users,
        "run_time": run.options.run_time,
        "classes": [cls.__name__ for cls in run.environment.user_classes],
        "bound": run.user_class.authload_run is run and issubclass(run.user_class, AuthFlowUser),
        "shape": run.environment.shape_class is not None,
        "identities": len(run.identities.all or []),
        "provisioning_requests": run.users.provisioning_requests,
    }
    run.start()
    user = run.user_class(run.environment)
    user.on_start()
    for _ in range(3):
        user.cycle()
    user.on_stop()
    run.stop()
    written = summary(run)
    seen["summary"] = {
        "status": written["status"],
        "verdict": written["verdict"],
        "login": written["steps"]["login_auth_token"]["requests"],
        "http": written["http"]["load"]["requests"],
        "cleanup": written["cleanup"]["deleted"],
        "cleanup_requests": written["http"]["cleanup"]["requests"],
    }
    seen["left_after_cleanup"] = run.users.to_clean()
    return seen


def stop_between_cycles() -> dict[str, Any]:
    """Locust's graceful stop (`User.stop()`) asked just as a cycle ends: does the user start
    another cycle, and is it then killed in its first request?"""
    run = make_run("--headless")
    run.prepare()
    run.start()

    class StoppedAfterTwo(run.user_class):  # type: ignore[name-defined,misc]
        cycles_run = 0

        def cycle(self) -> None:
            super().cycle()
            type(self).cycles_run += 1
            if type(self).cycles_run == 2:
                gevent.spawn(self.stop)  # runs at the user's next yield, between two cycles

    group = Group()
    StoppedAfterTwo(run.environment).start(group)
    finished = group.join(timeout=20)
    run.stop()
    written = summary(run)
    login = written["steps"]["login_auth_token"]
    return {
        "finished": finished,
        "cycles": StoppedAfterTwo.cycles_run,
        "login": login["requests"],
        "errors": login["errors_by_code"],
        "logout": written["steps"]["logout"]["requests"],
    }


def gate() -> dict[str, Any]:
    """The web UI's start gate: a broken file, then a good one, then a change while running."""
    run = make_run()
    run.prepare()
    seen: dict[str, Any] = {"prepared_at_init": run.prepared, "identities_at_init": run.identities.all}
    broken = Path(SCENARIO).with_name("broken.yaml")
    seen["broken"] = run.start_from_form({"scenario": str(broken), "env": "m"})
    seen["after_broken"] = {"plan": run.plan, "prepared": run.prepared, "refused": run.refused}
    seen["good"] = run.start_from_form({"scenario": SCENARIO, "env": "m"})
    seen["after_good"] = {
        "prepared": run.prepared,
        "identities": len(run.identities.all or []),
        "refused": run.refused,
        "files": [run.files.scenario, run.files.env],
    }
    run.start()
    seen["started"] = {"prepared": run.prepared, "runs": sorted(run.started_runs) == [run.plan.run_id]}
    run.runner.state = "running"  # as Locust's would be: an "edit" may change users only
    seen["edit_same"] = run.start_from_form({"scenario": SCENARIO, "env": "m", "user_count": "3"})
    seen["edit_other"] = run.start_from_form({"scenario": str(broken), "env": "m"})
    run.runner.state = "stopped"
    run.stop()
    # a start not made through the form (web UI, nothing prepared) of broken files: refused
    run.files.scenario = str(broken)
    try:
        run.start()
        seen["unprepared_start"] = "started"
    except StopTest as error:
        seen["unprepared_start"] = str(error)
    return seen


def open_model() -> dict[str, Any]:
    """An arrival-rate scenario installs the shape and the scheduler's class, bound to the run."""
    run = make_run("--headless")
    run.prepare()
    shape = run.environment.shape_class
    tick = shape.tick() if shape is not None else None
    return {
        "shape_bound": shape is run.shape and shape.run is run,
        "classes": [cls.__name__ for cls in run.environment.user_classes],
        "tick_classes": [cls.__name__ for cls in tick[2]] if tick else None,
        "tick_is_bound": bool(tick) and tick[2][0] is run.arrival_class,
    }


CASES = {
    "headless": headless,
    "stop_between_cycles": stop_between_cycles,
    "gate": gate,
    "open_model": open_model,
}
print(json.dumps(CASES[CASE]()))
