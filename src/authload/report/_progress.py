"""Progress of the long phases: provisioning, the run, cleanup.

On a terminal, one live line on stderr, redrawn in place every half second
and erased before any log record is written, so Locust's own lines stay
whole. Elsewhere (a CI log), a plain log line every `PLAIN_EVERY_S` instead:
no control characters. Only the master (or only) process shows progress;
workers stay quiet. A wait on the backend's rate limit says so, with how
long it waits: a silent minute of 429s looks like a hang.

| phase        | counts                        | from                           |
|--------------|-------------------------------|--------------------------------|
| provisioning | identities done / asked, rate | `_provision.provision`         |
| run          | requests, rate, errors        | the recorder (steps on the wire)|
| cleanup      | users deleted / to delete     | `_provision.delete_users`      |
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import gevent

from ..scenario import LOCAL_STEPS

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

    def loop(self) -> None:
        while True:
            gevent.sleep(LIVE_EVERY_S if self.live else 1.0)
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

    def filter(self, record: logging.LogRecord) -> bool:
        if _active is not None:
            _active.erase()
        return True


_enabled = True
_active: Phase | None = None
_filter = _EraseBeforeRecords()


def enable(on: bool) -> None:
    """Workers call this with False: only one process of a run draws progress."""
    global _enabled
    _enabled = on


@contextmanager
def phase(
    label: str,
    total: int | None = None,
    describe: Callable[[Phase], str] | None = None,
    stream: TextIO | None = None,
) -> Iterator[Phase | None]:
    """Show progress while the block runs; yields the phase (None when progress is off)."""
    global _active
    if not _enabled or _active is not None:  # one line at a time: nested phases stay quiet
        yield None
        return
    stream = stream or sys.stderr
    current = _active = Phase(label, total, stream, _is_terminal(stream), describe)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_filter)
    drawer = gevent.spawn(current.loop)
    try:
        yield current
    finally:
        drawer.kill()
        current.erase()
        if not current.live and current.plain_at > current.started:
            current.plain()  # a long phase ends with a line in the CI log too
        _active = None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def advance(count: int = 1) -> None:
    """One more item of the current phase is done (no-op without one)."""
    if _active is not None:
        _active.done += count


def failed(count: int = 1) -> None:
    if _active is not None:
        _active.errors += count


def throttled(seconds: float) -> None:
    if _active is not None:
        _active.throttled(seconds)


def run_line(recorder: Any, started_at: float, run_time: float | None) -> Callable[[Phase], str]:
    """The run phase's text: requests on the wire so far, their mean rate, errors, time left."""

    def describe(phase: Phase) -> str:
        requests = failures = 0
        for (kind, name), series in list(recorder.series.items()):
            if kind == "step" and name not in LOCAL_STEPS:
                requests += series.count  # no histogram work twice a second
                failures += series.failures
        elapsed = max(time.time() - started_at, 1e-9)
        text = f"{requests} requests, {requests / elapsed:.0f}/s, {failures} errors, {elapsed:.0f} s"
        if run_time:
            text += f", {max(run_time - elapsed, 0):.0f} s left"
        return text

    return describe
