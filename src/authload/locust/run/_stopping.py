"""How a run stops when asked: first gracefully, then without waiting, never silently.

| signal                 | from                              | means                                     |
|------------------------|-----------------------------------|-------------------------------------------|
| SIGTERM (first)        | `authload run` on the 1st Ctrl-C, | stop: in-flight cycles finish, reports    |
|                        | a CI cancel, the parent dying     | are written, created users deleted        |
| SIGUSR1, SIGTERM again | `authload run` on the 2nd Ctrl-C  | hurry: stop waiting (cycles, workers,     |
|                        |                                   | cleanup); still write the summary and     |
|                        |                                   | record what is left on the backend        |
| SIGKILL                | `authload run` on the 3rd Ctrl-C  | nothing runs; `authload run` writes the   |
|                        |                                   | summary, the ledger says what is left     |

Locust handles every SIGTERM by shutting down, and a second shutdown would
exit mid-report; `on_quitting` therefore lets a shutdown that finds a report
under way wait for it (see `Run.quit`).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable

import gevent
from gevent.event import Event

log = logging.getLogger("authload")
HURRY_SIGNAL = signal.SIGUSR1


class Stopping:
    """One process's stop requests: `stop` (graceful) and `hurry` (stop waiting)."""

    def __init__(self) -> None:
        self.stop = Event()
        self.hurry = Event()
        self.reporting = Event()  # a summary is being (or has been) written for this test
        self.finished = Event()  # ... and the cleanup after it is done or recorded

    def new_test(self) -> None:
        """A new start in the web UI reports afresh."""
        self.reporting.clear()
        self.finished.clear()

    def request(self) -> None:
        """A stop signal: the first one stops, any further one hurries."""
        if self.stop.is_set():
            self.hurry_up()
        self.stop.set()

    def hurry_up(self) -> None:
        if not self.hurry.is_set():
            log.warning("stopping without waiting: what is left on the backend is recorded")
        self.stop.set()
        self.hurry.set()


def install_hurry_handler(hurry: Callable[[], None]) -> None:
    """SIGUSR1 (the 2nd Ctrl-C of `authload run`) hurries this process, whatever it is doing."""
    gevent.signal_handler(HURRY_SIGNAL, hurry)
