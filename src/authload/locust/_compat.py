"""Every use of a Locust or geventhttpclient internal, in this one file.

Each is something no published hook offers; each says what it is for and the versions it
was checked on (CI runs the tests on the floors pyproject.toml declares: Locust 2.46.3,
geventhttpclient 2.5.1, and on the newest). `missing()` lists the ones an installed version
lacks, and a test calls it, so an upgrade that removes one fails loudly there instead of deep
inside a run.

| internal (checked on)                              | what for                                       |
|----------------------------------------------------|------------------------------------------------|
| `HTTPClient._connection_pool`, its `after_connect` | count the connections a driver opens; check a  |
| and `_is_socket_alive` (geventhttpclient 2.5-2.6)  | kept one with poll(2), not select(2)           |
| `HTTPSocketPoolResponse._sock`, `._pool` (2.5-2.6) | close a connection whose answer was not read   |
|                                                    | to its end (over the size cap)                 |
| `locust.contrib.fasthttp.FAILURE_EXCEPTIONS`       | what a transport failure is                    |
| `MasterRunner.handle_message` with a               | drop a rogue worker as Locust drops one that   |
| `client_stopped` `Message` (locust 2.42.6-2.47)    | stopped (its users go to the others)           |
| `runner.clients` (`.ready`, `.running`,            | which workers are connected, in what state     |
| `.spawning`, `.get`), a node's `.state`            |                                                |
| `runner.user_greenlets`                            | hurry: stop users still in a cycle             |
| `locust.stats.CSV_STATS_INTERVAL_SEC`              | let Locust's CSV take the final counts         |
| `locust.html.get_html_report`                      | write report.html ourselves, redacted          |
| `locust.exception.StopTest` (locust 2.43-2.47)     | refuse a start made outside the form           |
"""

from __future__ import annotations

from typing import Any

import locust
from geventhttpclient.client import HTTPClient
from geventhttpclient.connectionpool import ConnectionPool
from geventhttpclient.response import HTTPSocketPoolResponse
from locust import stats as locust_stats
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS
from locust.exception import StopTest  # 2.43+: raised in a test_start listener, it stops the start
from locust.html import get_html_report
from locust.rpc import Message
from locust.runners import MasterRunner, Runner

__all__ = [
    "FAILURE_EXCEPTIONS",
    "StopTest",
    "close_unread",
    "watch_connections",
    "csv_interval",
    "forget_worker",
    "html_report",
    "kill_users",
    "missing",
    "worker_ids",
    "worker_state",
]


def watch_connections(client: Any, opened: Any, alive: Any) -> None:
    """On a geventhttpclient `HTTPClient`'s connection pool: `opened(sock)` hears of each new
    connection (`after_connect`, the pool's hook), and `alive(sock)` decides whether a kept one
    may be reused (in place of the pool's `_is_socket_alive`)."""
    pool = client._connection_pool
    pool.after_connect = opened
    pool._is_socket_alive = alive


def close_unread(reply: Any) -> None:
    """Close the connection of an answer not read to its end: it cannot carry another."""
    pool, sock = getattr(reply, "_pool", None), getattr(reply, "_sock", None)
    reply._sock = reply._pool = None
    if pool is not None and sock is not None:
        pool.release_socket(sock)


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


def csv_interval() -> float:
    """How often Locust's CSV writer writes."""
    return float(locust_stats.CSV_STATS_INTERVAL_SEC)


def html_report(environment: Any) -> str:
    """Locust's own report.html, as text (authload writes the file, redacted)."""
    return str(get_html_report(environment, show_download_link=False))


def missing() -> list[str]:
    """Each internal this module uses that the installed Locust or geventhttpclient lacks."""
    found = []
    checks = {
        "geventhttpclient HTTPClient._connection_pool": "_connection_pool"
        in HTTPClient.__init__.__code__.co_names,
        "geventhttpclient ConnectionPool._is_socket_alive": hasattr(ConnectionPool, "_is_socket_alive"),
        "geventhttpclient ConnectionPool.after_connect": hasattr(ConnectionPool, "after_connect"),
        "geventhttpclient ConnectionPool.release_socket": hasattr(ConnectionPool, "release_socket"),
        "geventhttpclient HTTPSocketPoolResponse._pool": "_pool"
        in HTTPSocketPoolResponse.__init__.__code__.co_names,
        "locust MasterRunner.handle_message": callable(getattr(MasterRunner, "handle_message", None)),
        "locust.stats.CSV_STATS_INTERVAL_SEC": hasattr(locust_stats, "CSV_STATS_INTERVAL_SEC"),
        "locust Runner.user_greenlets": "user_greenlets" in _names(Runner.__init__),
        "locust MasterRunner.clients": "clients" in _names(MasterRunner.__init__),
    }
    for name, present in checks.items():
        if not present:
            found.append(f"{name} (locust {locust.__version__})")
    return found


def _names(function: Any) -> set[str]:
    """The attribute names a function's code uses (what an `__init__` sets, for instance)."""
    return set(function.__code__.co_names)
