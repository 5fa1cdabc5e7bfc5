"""The recorder's time series: intervals closed by ticks, shipped by workers, merged on the master."""

from __future__ import annotations

from typing import Any

import pytest

from authload.report._recorder import STEP, Recorder

KEY = (STEP, "login_auth_token")


def test_ticks_close_intervals_with_their_own_figures() -> None:
    recorder = Recorder()
    for ms in (10.0, 10.0, 20.0):
        recorder.record(STEP, "login_auth_token", ms, None)
    recorder.tick(100)
    recorder.record(STEP, "login_auth_token", 50.0, "ERR_X")
    recorder.tick(101)
    recorder.tick(102)  # nothing new: no empty interval
    slots = recorder.timelines[KEY].slots
    assert sorted(slots) == [100, 101]
    assert (slots[100].requests, slots[100].failures) == (3, 0)
    assert abs(slots[100].percentile_ms(50) - 10.0) < 0.2
    assert (slots[101].requests, slots[101].codes) == (1, {"ERR_X": 1})
    assert recorder.series[KEY].requests == 4  # the run's exact histogram still has everything


def test_pending_values_flushed_early_stay_in_their_interval() -> None:
    recorder = Recorder()
    for us in range(25_000):  # more distinct values than the pending dict holds
        recorder.record(STEP, "login_auth_token", 1 + us / 1000, None)
    recorder.tick(7)
    assert recorder.timelines[KEY].slots[7].requests == 25_000


def test_workers_intervals_line_up_on_the_master() -> None:
    workers, master = [Recorder(), Recorder()], Recorder()
    for number, worker in enumerate(workers):
        worker.record(STEP, "login_auth_token", 5.0, None)
        worker.tick(500)
        worker.record(STEP, "login_auth_token", 5.0, "ERR_Y" if number else None)
        worker.tick(501 + number)
    for worker in workers:
        data: dict[str, Any] = {}
        worker.on_report_to_master(client_id="w", data=data)
        master.on_worker_report(client_id="w", data=data)
        assert not worker.timelines  # shipped, then started afresh
    slots = master.timelines[KEY].slots
    assert {index: slot.requests for index, slot in slots.items()} == {500: 2, 501: 1, 502: 1}
    assert slots[502].codes == {"ERR_Y": 1} and master.series[KEY].requests == 4


def test_the_ticker_closes_an_interval_at_each_boundary() -> None:
    recorder, naps = Recorder(), []

    class Done(Exception):
        pass

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        recorder.record(STEP, "login_auth_token", 1.0, None)
        if len(naps) == 3:
            raise Done

    with pytest.raises(Done):
        recorder.tick_forever(sleep)
    assert all(0 < nap <= 1.01 for nap in naps)
    assert sum(slot.requests for slot in recorder.timelines[KEY].slots.values()) == 2


def test_the_fold_buckets_values_as_the_report_does() -> None:
    from authload.report import bucket

    recorder = Recorder()
    values_us = [1, 63, 64, 65, 127, 128, 1000, 4097, 123_456, 99_999_999]
    for us in values_us:
        recorder.record(STEP, "login_auth_token", us / 1000, None)
    recorder.tick(1)
    (slot,) = recorder.timelines[KEY].slots.values()
    assert sorted(slot.keys) == sorted({bucket(us) for us in values_us})
    assert recorder.series[KEY].count == len(values_us) == recorder.series[KEY].requests
