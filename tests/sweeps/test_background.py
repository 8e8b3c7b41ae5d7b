"""Summaries run in order, one at a time, beside the caller (or at once without a pool)."""

from __future__ import annotations

import threading
import time

import pytest

from nnfs_lab.sweeps.background import Summaries


def test_background_summaries_run_in_order_one_at_a_time_beside_the_caller():
    summaries = Summaries(background=True)
    running, log, release = [], [], threading.Event()

    def summary(i):
        def run():
            running.append(i)
            assert len(running) == 1, "two summaries ran at once"
            release.wait(5)
            log.append((i, threading.current_thread().name))
            running.remove(i)
            return i * 10

        return run

    futures = [summaries.submit(summary(i)) for i in range(3)]
    assert log == []  # submit returned while the first summary still waits
    release.set()
    summaries.wait()
    assert [f.result() for f in futures] == [0, 10, 20]
    assert [i for i, _ in log] == [0, 1, 2]
    assert {name for _, name in log} == {"nnfs-lab-summaries"}


def test_a_failed_summary_stops_the_rest_and_raises_in_the_caller():
    summaries = Summaries(background=True)
    ran = []

    def boom():
        raise ValueError("summary broke")

    summaries.submit(boom)
    summaries.submit(lambda: ran.append("after"))
    with pytest.raises(ValueError, match="summary broke"):
        summaries.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            summaries.submit(lambda: None)
        except ValueError:
            break  # the next submit reports it too
        time.sleep(0.01)
    else:
        pytest.fail("submit did not report the failed summary")
    assert ran == []


def test_without_background_each_summary_runs_at_once_in_the_caller():
    summaries = Summaries(background=False)
    future = summaries.submit(lambda: threading.current_thread().name)
    assert future.done() and future.result() == threading.current_thread().name
    with pytest.raises(KeyError):
        summaries.submit(lambda: {}["missing"])


def test_stop_runs_nothing_queued_and_abandon_ends_unsummarized_parents_killed():
    from nnfs_lab.sweeps.background import abandon

    summaries = Summaries(background=True)
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(5)
        return "done"

    first = summaries.submit(slow)
    queued = summaries.submit(lambda: "never")
    started.wait(5)

    class Client:
        ended = {}

        def set_terminated(self, run_id, status):
            self.ended[run_id] = status

    client = Client()
    threading.Timer(0.2, release.set).start()  # the summary in flight ends within the grace
    abandon(summaries, [("p1", first), ("p2", queued)], client, pool=None)
    assert first.result() == "done" and queued.cancelled()
    assert client.ended == {"p2": "KILLED"}
