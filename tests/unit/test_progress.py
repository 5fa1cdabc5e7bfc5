"""Progress lines: live on a terminal (erased before log records), plain lines in CI logs,
rate-limit waits said out loud, one phase at a time, nothing from workers."""

from __future__ import annotations

import io
import logging

import pytest

from authload import ApiError
from authload.pool import on_threads, patiently
from authload.report import _progress
from authload.report._progress import Progress


class _Idle:
    """What `spawn` returns here: the drawing loop is not run (the tests draw by hand)."""

    def kill(self) -> None:
        pass


progress = Progress(lambda loop: _Idle(), lambda seconds: None)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_in_a_ci_log(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO, "authload.progress")
    stream = io.StringIO()
    with progress.phase("cleanup", total=10, stream=stream) as phase:
        assert phase is not None and not phase.live
        progress.advance(3)
        progress.failed()
        monkeypatch.setattr(_progress, "PLAIN_EVERY_S", 0.0)
        phase.draw()
        progress.throttled(12.0)
        assert "waiting 12 s: rate limited (429)" in caplog.records[-1].getMessage()  # said at once
    assert stream.getvalue() == ""  # no control characters in a log
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0].startswith("cleanup: 3/10 done") and "1 errors" in lines[0]
    assert lines[-1].startswith("cleanup: 3/10 done")  # the phase's last word


def test_live_line_is_erased_before_log_records() -> None:
    terminal = Terminal()
    handler = logging.StreamHandler(terminal)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with progress.phase("provisioning", total=4, stream=terminal) as phase:
            assert phase is not None and phase.live
            progress.advance(2)
            phase.draw()
            logging.getLogger("locust.main").warning("a line of Locust's own")
        text = terminal.getvalue()
    finally:
        root.removeHandler(handler)
    drawn = "\r\x1b[Kauthload: provisioning: 2/4 done"
    assert text.startswith(drawn)
    assert "\r\x1b[Ka line of Locust's own\n" in text  # erased first: the record starts a clean line
    assert text.endswith("\n")  # nothing drawn after the record: the phase ended clean


def test_one_phase_at_a_time_and_none_on_workers() -> None:
    with progress.phase("run", stream=io.StringIO()) as outer:
        with progress.phase("cleanup", stream=io.StringIO()) as inner:
            assert outer is not None and inner is None
            progress.advance()
        assert outer.done == 1
    worker = Progress(lambda loop: _Idle(), lambda seconds: None, shown=False)
    with worker.phase("run", stream=io.StringIO()) as quiet:
        assert quiet is None
        worker.advance()  # no phase: nothing happens, nothing breaks


def test_time_left_from_the_rate() -> None:
    with progress.phase("provisioning", total=100, stream=io.StringIO()) as phase:
        assert phase is not None
        phase.started -= 10.0  # ten seconds in
        progress.advance(50)
        assert phase.text() == "authload: provisioning: 50/100 done, 5/s, 0 errors, 10 s, ~10 s left"


def test_pool_work_counts_items_and_says_when_throttled(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, "authload.progress")
    monkeypatch.setattr(_progress, "PLAIN_EVERY_S", 3600.0)
    answers: list[object] = [ApiError("ERR_TOO_MANY_REQUESTS", status=429, retry_after=0.01), "done"]

    def run(flow: object) -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with progress.phase("cleanup", total=5, stream=io.StringIO()) as phase:
        on_threads(lambda item: progress.advance(), range(5), 2, None)
        assert phase is not None and phase.done == 5
        assert patiently(run, lambda: None, lambda seconds: None, progress.throttled) == "done"  # type: ignore[arg-type,return-value]
    lines = [record.getMessage() for record in caplog.records]
    assert any(line.startswith("cleanup: 5/5 done") and "rate limited (429)" in line for line in lines), lines
