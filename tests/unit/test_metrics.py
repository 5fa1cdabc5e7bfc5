"""Exact latencies per entry, and the worker -> master round trip of them."""

from __future__ import annotations

import sys
from typing import Any

from authload import ApiError
from authload.report._recorder import CYCLE, HTTP, STEP, Recorder, failure_code


def test_locust_is_not_needed_for_metrics() -> None:
    import subprocess

    code = "import sys, authload.report._recorder; assert 'locust' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_record_and_read() -> None:
    recorder = Recorder()
    for ms in (1.0, 1.0, 2.0, 50.0):
        recorder.record(STEP, "logout", ms, None)
    recorder.record(STEP, "logout", 3.0, failure_code(ApiError("ERR_X", status=500)))
    recorder.record(CYCLE, "flow", 7.0, "INTERNAL_ValueError")
    recorder.record(HTTP, "DELETE client /v3.0/me", 2.0, None)
    series = recorder.series[(STEP, "logout")]
    assert series.requests == 5 and series.failures == 1
    assert series.percentile_ms(50) == 2.0 and 49.9 < series.max_ms() < 50.1
    assert dict(series.error_codes) == {"ERR_X": 1}
    cycle = recorder.series[(CYCLE, "flow")]
    assert cycle.requests == 1 and dict(cycle.error_codes) == {"INTERNAL_ValueError": 1}
    assert recorder.series[(HTTP, "DELETE client /v3.0/me")].requests == 1


def test_worker_reports_add_up_on_the_master() -> None:
    workers, master = [Recorder(), Recorder()], Recorder()
    for index, worker in enumerate(workers):
        for ms in range(1, 101):
            worker.record(STEP, "login_auth_token", float(ms + index * 100), None)
        worker.phase_requests["cleanup"] += 3
    for worker in workers:
        data: dict[str, Any] = {}
        worker.on_report_to_master(client_id="w", data=data)
        master.on_worker_report(client_id="w", data=data)
        assert not worker.series  # shipped, then started afresh
    merged = master.series[(STEP, "login_auth_token")]
    assert merged.requests == 200
    assert master.phase_requests["cleanup"] == 6  # what each worker's cleanup sent
    assert 99.9 < merged.percentile_ms(50) < 100.1 and 199.0 < merged.max_ms() < 200.2
