"""Every use of a Locust internal, in this one file.

Each is something no published hook offers; each says what it is for and the versions it
was checked on (CI runs the tests on the floor pyproject.toml declares, Locust 2.46.3, and
on the newest). `missing()` lists the ones an installed version
lacks, and a test calls it, so an upgrade that removes one fails loudly there instead of deep
inside a run.

| internal (checked on)                              | what for                                       |
|----------------------------------------------------|------------------------------------------------|
| `MasterRunner.handle_message` with a               | drop a rogue worker as Locust drops one that   |
| `client_stopped` `Message` (locust 2.42.6-2.47)    | stopped (its users go to the others)           |
| `runner.clients` (`.ready`, `.running`,            | which workers are connected, in what state     |
| `.spawning`, `.get`), a node's `.state`            |                                                |
| `runner.user_greenlets`                            | hurry: stop users still in a cycle             |
| `locust.stats.CSV_STATS_INTERVAL_SEC`              | let Locust's CSV take the final counts         |
| `locust.html.get_html_report`                      | write report.html ourselves, redacted          |
| `locust.exception.StopTest` (locust 2.43-2.47)     | refuse a start made outside the form           |
| `User._state`, `LOCUST_STATE_STOPPING`             | a user's task loop ends when Locust asks it to |
| (locust 2.46.3-2.47)                               | stop gracefully                                |
"""

from __future__ import annotations

from typing import Any

import locust
from locust import stats as locust_stats
from locust.exception import StopTest  # 2.43+: raised in a test_start listener, it stops the start
from locust.html import get_html_report
from locust.rpc import Message
from locust.runners import MasterRunner, Runner
from locust.user.task import LOCUST_STATE_STOPPING

__all__ = [
    "StopTest",
    "csv_interval",
    "forget_worker",
    "html_report",
    "kill_users",
    "missing",
    "stop_asked",
    "worker_ids",
    "worker_state",
]


def forget_worker(runner: Any, client_id: str) -> None:
    """Have Locust forget a worker as it forgets one that stopped: its users go to the others
    (unlike a `quit`, losing the last worker ends nothing)."""
    if client_id in runner.clients:
        runner.handle_message(client_id, Message("client_stopped", None, client_id))


def worker_ids(runner: Any) -> list[str]:
    """The ids of the workers connected and not stopped (ready, spawning or running), sorted."""
    clients = runner.clients
    return sorted(node.id for node in clients.ready + clients.running + clients.spawning)


def worker_state(runner: Any, client_id: str) -> str | None:
    """A connected worker's state (Locust's STATE_* value); None once it has left."""
    node = runner.clients.get(client_id)
    return None if node is None else str(node.state)


def kill_users(runner: Any) -> None:
    """Stop every user now, mid-cycle (the second Ctrl-C: stop waiting)."""
    greenlets = getattr(runner, "user_greenlets", None)
    if greenlets is not None:
        greenlets.kill(block=False)


def stop_asked(user: Any) -> bool:
    """Locust asked this user to stop once its task is done (`User.stop(force=False)`: the
    graceful stop, waited for up to the stop timeout)."""
    return bool(user._state == LOCUST_STATE_STOPPING)


def csv_interval() -> float:
    """How often Locust's CSV writer writes."""
    return float(locust_stats.CSV_STATS_INTERVAL_SEC)


def html_report(environment: Any) -> str:
    """Locust's own report.html, as text (authload writes the file, redacted)."""
    return str(get_html_report(environment, show_download_link=False))


def missing() -> list[str]:
    """Each internal this module uses that the installed Locust lacks."""
    found = []
    checks = {
        "locust MasterRunner.handle_message": callable(getattr(MasterRunner, "handle_message", None)),
        "locust.stats.CSV_STATS_INTERVAL_SEC": hasattr(locust_stats, "CSV_STATS_INTERVAL_SEC"),
        "locust Runner.user_greenlets": "user_greenlets" in _names(Runner.__init__),
        "locust MasterRunner.clients": "clients" in _names(MasterRunner.__init__),
        "locust User._state": "_state" in _names(locust.User.stop),
    }
    for name, present in checks.items():
        if not present:
            found.append(f"{name} (locust {locust.__version__})")
    return found


def _names(function: Any) -> set[str]:
    """The attribute names a function's code uses (what an `__init__` sets, for instance)."""
    return set(function.__code__.co_names)
