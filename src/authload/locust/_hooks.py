"""Where Locust's events meet authload's `Run`: every listener, in one place, in its order.

The locustfile calls `register(events, user_classes)` once. Locust's `init` then builds the
process's one `Run` and `attach` adds the rest; each listener is a thin adapter that calls
the run. The order below is the order that matters:

1. at `init_command_line_parser`: authload's options (and the run key a `--processes`
   master's workers will inherit: drawn before Locust forks them);
2. at `init`: the run is built; a worker listens for its plan and signs its figures, a
   master guards who joins; then `quitting` is added after the runner's own listener, so,
   as Locust fires `quitting` in reverse, ours runs first (Ctrl-C stops the test and reports
   before the runner goes); the hurry signal; the run prepares (plan, mock, TLS, headless
   provisioning); the live metrics endpoint (`run._live`: at `quitting`, after the reports,
   it serves the final figures a while); last the web UI, whose gate needs the prepared run;
3. `test_start`, `test_stopping` and `test_stop` call the run's phases.
"""

from __future__ import annotations

from typing import Any

from .distributed import _messages as distributed
from .load._arrivals import stop_arriving
from .run import _live as live
from .run._options import add_arguments
from .run._run import Run
from .run._setup import MASTER, WORKER
from .run._stopping import install_hurry_handler
from .webui import _routes as webui


def register(events: Any, user_classes: dict[str, type[Any]]) -> None:
    """Attach the listeners that exist before a runner does."""
    events.init_command_line_parser.add_listener(add_arguments)

    def on_init(environment: Any, runner: Any, web_ui: Any = None, **_: Any) -> None:
        attach(Run(environment, runner, user_classes=user_classes), events, web_ui)

    events.init.add_listener(on_init)


def attach(run: Any, events: Any, web_ui: Any) -> None:
    """The rest of a process's listeners, bound to its run (see the order in the docstring)."""
    if run.role == WORKER:
        distributed.listen_as_worker(run)
    elif run.role == MASTER:
        distributed.listen_as_master(run)
    if run.role != WORKER:
        # Locust fires `quitting` in reverse: the run stops and reports, then the metrics linger.
        events.quitting.add_listener(lambda **_: live.linger(run))
        events.quitting.add_listener(lambda **_: run.quit())
    install_hurry_handler(run.hurry)
    run.prepare()
    live.start(run)
    if web_ui is not None and run.role != WORKER:
        webui.install(run, web_ui)
    events.test_start.add_listener(lambda **_: run.start())
    events.test_stopping.add_listener(lambda **_: stop_arriving(run))
    events.test_stop.add_listener(lambda **_: run.stop())
