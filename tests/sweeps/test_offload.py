"""Jobs a study's summary hands to the pool, or runs in the driver without one."""

from __future__ import annotations

import pytest

from nnfs_lab.sweeps.offload import start_jobs
from nnfs_lab.sweeps.pool import Job, PoolClosed

CALLS: list[int] = []


def _record(x: int) -> int:
    CALLS.append(x)
    return 10 * x


class _Pool:
    """A pool whose submitted jobs come back as ``outcome`` says: values, or an error."""

    size = 2

    def __init__(self, outcome) -> None:
        self.outcome, self.submitted = outcome, []

    def submit(self, jobs):
        self.submitted.append([j.label for j in jobs])
        outcome = self.outcome

        class Pending:
            def results(self):
                if isinstance(outcome, Exception):
                    raise outcome
                return outcome

        return Pending()


def _jobs():
    return [Job(f"j{i}", _record, (i,)) for i in range(3)]


def test_without_a_pool_the_jobs_run_here_when_their_values_are_asked():
    CALLS.clear()
    values = start_jobs(None, _jobs(), what="numbers")
    assert CALLS == []  # nothing ran yet: the caller goes on first
    assert values() == [0, 10, 20] and CALLS == [0, 1, 2]


def test_with_a_pool_the_jobs_are_submitted_at_once_and_their_values_come_from_it():
    CALLS.clear()
    pool = _Pool(["a", "b", "c"])
    values = start_jobs(pool, _jobs(), what="numbers")
    assert pool.submitted == [["j0", "j1", "j2"]]
    assert values() == ["a", "b", "c"] and CALLS == []


def test_failed_jobs_are_redone_here_with_a_warning_naming_them():
    CALLS.clear()
    values = start_jobs(_Pool(RuntimeError("pool job 'j1' failed (exit code -9)")), _jobs(),
                        what="numbers")  # fmt: skip
    with pytest.warns(UserWarning, match="numbers redone in the driver: pool job 'j1' failed"):
        assert values() == [0, 10, 20]
    assert CALLS == [0, 1, 2]


def test_failed_jobs_that_are_a_nicety_are_given_up_with_a_warning():
    CALLS.clear()
    values = start_jobs(_Pool(RuntimeError("pool job 'j0' failed")), _jobs(), what="figures",
                        redo_here=False)  # fmt: skip
    with pytest.warns(UserWarning, match="figures not made: pool job 'j0' failed"):
        assert values() == [None, None, None]
    assert CALLS == []


def test_a_pool_closed_under_the_summary_stops_it():
    values = start_jobs(_Pool(PoolClosed("closed")), _jobs(), what="numbers")
    with pytest.raises(PoolClosed):
        values()


def test_a_pool_whose_processes_all_died_is_no_pool():
    CALLS.clear()
    dead = _Pool(["never"])
    dead.size = 0
    assert start_jobs(dead, _jobs(), what="numbers")() == [0, 10, 20]
    assert dead.submitted == []
