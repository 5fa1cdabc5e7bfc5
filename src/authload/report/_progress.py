"""Progress of the long phases: provisioning, the run, cleanup.

On a terminal, one live line on stderr, redrawn in place every half second
and erased before any log record is written, so Locust's own lines stay
whole. Elsewhere (a CI log), a plain log line every `PLAIN_EVERY_S` instead:
no control characters. Only the master (or only) process shows progress;
workers stay quiet. A wait on the backend's rate limit says so, with how
long it waits: a silent minute of 429s looks like a hang.

| phase        | counts                        | from                           |
|--------------|-------------------------------|--------------------------------|
| provisioning | identities done / asked, rate | `pool._provision.provision`    |
| run          | requests, rate, errors        | the recorder (HTTP requests)   |
| cleanup      | users deleted / to delete     | `pool._delete.delete_all`      |

One `Progress` per process (its console). It needs a way to redraw in the background:
`spawn(loop)` returns something with `kill()` (gevent's `spawn` in a Locust process); the
drawing loop sleeps with the `sleep` it is given, so this module imports neither.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

from ._recorder import HTTP

log = logging.getLogger("authload.progress")
LIVE_EVERY_S = 0.5
PLAIN_EVERY_S = 10.0
_ERASE = "\r\x1b[K"


class Phase:
    """One phase's counts and how they are shown."""

    def __init__(
        self,
        label: str,
        total: int | None,
        stream: TextIO,
        live: bool,
        describe: Callable[[Phase], str] | None = None,
    ) -> None:
        self.label, self.total, self.stream, self.live = label, total, stream, live
        self.describe = describe or _counts
        self.done = self.errors = 0
        self.started = time.monotonic()
        self.waiting_until = 0.0
        self.shown = False  # a live line is on screen
        self.plain_at = self.started  # when the last plain line went out

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def throttled(self, seconds: float) -> None:
        """A request waits `seconds` because the backend said 429."""
        first = time.monotonic() >= self.waiting_until
        self.waiting_until = max(self.waiting_until, time.monotonic() + seconds)
        if first and not self.live:
            self.plain()  # a CI log hears of the wait as it starts, not 10 s later

    def text(self) -> str:
        line = f"authload: {self.label}: {self.describe(self)}"
        wait = self.waiting_until - time.monotonic()
        if wait > 0:
            line += f"; waiting {wait:.0f} s: rate limited (429)"
        return line

    def draw(self) -> None:
        if self.live:
            self.stream.write(_ERASE + self.text())
            self.stream.flush()
            self.shown = True
        elif time.monotonic() - self.plain_at >= PLAIN_EVERY_S:
            self.plain()

    def plain(self) -> None:
        self.plain_at = time.monotonic()
        log.info("%s", self.text().removeprefix("authload: "))

    def erase(self) -> None:
        if self.shown:
            self.stream.write(_ERASE)
            self.stream.flush()
            self.shown = False

    def loop(self, sleep: Callable[[float], None]) -> None:
        while True:
            sleep(LIVE_EVERY_S if self.live else 1.0)
            self.draw()


def _counts(phase: Phase) -> str:
    elapsed = phase.elapsed()
    rate = phase.done / elapsed if elapsed > 0 else 0.0
    done = f"{phase.done}/{phase.total}" if phase.total is not None else str(phase.done)
    text = f"{done} done, {rate:.0f}/s, {phase.errors} errors, {elapsed:.0f} s"
    if phase.total and rate > 0 and phase.done < phase.total:
        text += f", ~{(phase.total - phase.done) / rate:.0f} s left"
    return text


class _EraseBeforeRecords(logging.Filter):
    """Attached to the root logger's handlers: a log line never lands after a live line."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        if self.progress.active is not None:
            self.progress.active.erase()
        return True


class Killable(Protocol):
    def kill(self) -> Any: ...


class Progress:
    """One process's progress line: a phase at a time (nested phases stay quiet)."""

    def __init__(
        self,
        spawn: Callable[[Callable[[], None]], Killable],
        sleep: Callable[[float], None],
        *,
        shown: bool = True,
    ) -> None:
        self.spawn, self.sleep, self.shown = spawn, sleep, shown
        self.active: Phase | None = None
        self._filter = _EraseBeforeRecords(self)

    @contextmanager
    def phase(
        self,
        label: str,
        *,
        total: int | None = None,
        describe: Callable[[Phase], str] | None = None,
        stream: TextIO | None = None,
    ) -> Iterator[Phase | None]:
        """Show progress while the block runs; yields the phase (None when progress is off)."""
        if not self.shown or self.active is not None:
            yield None
            return
        stream = stream or sys.stderr
        current = self.active = Phase(label, total, stream, _is_terminal(stream), describe)
        for handler in logging.getLogger().handlers:
            handler.addFilter(self._filter)
        drawer = self.spawn(lambda: current.loop(self.sleep))
        try:
            yield current
        finally:
            drawer.kill()
            current.erase()
            if not current.live and current.plain_at > current.started:
                current.plain()  # a long phase ends with a line in the CI log too
            self.active = None

    def advance(self, count: int = 1) -> None:
        """One more item of the current phase is done (no-op without one)."""
        if self.active is not None:
            self.active.done += count

    def failed(self, count: int = 1) -> None:
        if self.active is not None:
            self.active.errors += count

    def throttled(self, seconds: float) -> None:
        if self.active is not None:
            self.active.throttled(seconds)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def run_line(recorder: Any, started_at: float, run_time: float | None) -> Callable[[Phase], str]:
    """The run phase's text: HTTP requests so far (what Locust counts), their mean rate, errors,
    time left."""

    def describe(phase: Phase) -> str:
        requests = failures = 0
        for (kind, _), series in list(recorder.series.items()):
            if kind == HTTP:
                requests += series.count  # no histogram work twice a second
                failures += series.failures
        elapsed = max(time.time() - started_at, 1e-9)
        text = f"{requests} requests, {requests / elapsed:.0f}/s, {failures} errors, {elapsed:.0f} s"
        if run_time:
            text += f", {max(run_time - elapsed, 0):.0f} s left"
        return text

    return describe
