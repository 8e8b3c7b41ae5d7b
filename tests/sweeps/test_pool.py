"""The sweep's process pool: worker tasks and, between studies, the summary's fits."""

from __future__ import annotations

import os
import time

import pytest

from nnfs_lab.sweeps import load_experiment
from nnfs_lab.sweeps.data import prepare_data
from nnfs_lab.sweeps.evaluation import evaluate_family, start_evaluation
from nnfs_lab.sweeps.pool import Job, WorkerPool


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def _fail(message: str) -> None:
    raise ValueError(message)


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(2) as p:
        yield p


def test_jobs_run_in_the_pool_and_return_in_submission_order(pool):
    pending = pool.submit([Job(f"sq-{i}", _square_and_pid, (i,)) for i in range(6)])
    results = pending.results()
    assert [r[0] for r in results] == [0, 1, 4, 9, 16, 25]
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids and 1 <= len(pids) <= pool.size


def test_a_failing_job_raises_with_its_traceback_and_the_pool_goes_on(pool):
    with pytest.raises(RuntimeError, match=r"'boom-0' failed(.|\n)*ValueError: fold 3 broke"):
        pool.submit([Job("boom-0", _fail, ("fold 3 broke",))]).results()
    assert pool.submit([Job("after", _square_and_pid, (3,))]).results()[0][0] == 9


def test_folds_scored_in_the_pool_equal_folds_scored_here(pool, tiny_config):
    """Same seeds, one BLAS thread everywhere: the verdict does not depend on the pool."""
    cfg = load_experiment(tiny_config("pool", max_epochs=5))
    data = prepare_data(cfg)
    params = {"hidden_layer_sizes": (8,), "batch_size": 16}
    for family in ("nnfs", "mlp"):
        here = evaluate_family(cfg, family, params, data)
        there = start_evaluation(cfg, family, params, data, pool)()
        cols = ["repeat", "fold", "seed", "status", "test_accuracy", "test_log_loss", "n_epochs"]
        assert there[cols].equals(here[cols]), family


class _BrokenPool:
    """A pool whose processes all died: every job comes back failed."""

    size = 2

    def submit(self, jobs):
        class Pending:
            def results(self):
                raise RuntimeError("pool job 'x' failed (exit code -9)")

        return Pending()


def test_folds_of_a_dead_pool_are_scored_in_the_driver(tiny_config):
    cfg = load_experiment(tiny_config("dead", max_epochs=3))
    data = prepare_data(cfg)
    params = {"hidden_layer_sizes": (8,), "batch_size": 16}
    warned = "held-out folds of nnfs redone in the driver: pool job 'x' failed"
    with pytest.warns(UserWarning, match=warned):
        rescored = start_evaluation(cfg, "nnfs", params, data, _BrokenPool())()
    timings = ["fit_seconds", "cpu_seconds", "ms_per_epoch"]
    here = evaluate_family(cfg, "nnfs", params, data)
    assert rescored.drop(columns=timings).equals(here.drop(columns=timings))


def _fail_or_echo(x: str) -> str:
    if x == "fail":
        raise ValueError("first job broke")
    return x


def test_a_failed_submission_leaves_nothing_for_the_next_one(pool):
    with pytest.raises(RuntimeError, match="first job broke"):
        pool.submit([Job("f-0", _fail_or_echo, ("fail",)), Job("f-1", _fail_or_echo, ("OLD",))]
                    ).results()  # fmt: skip
    again = pool.submit(
        [Job("f-0", _fail_or_echo, ("NEW0",)), Job("f-1", _fail_or_echo, ("NEW1",))]
    )
    assert again.results() == ["NEW0", "NEW1"]


def _die() -> None:
    os._exit(9)


def test_a_dead_process_is_reported_and_not_counted():
    with WorkerPool(2) as p:
        with pytest.raises(RuntimeError, match="exit code -9"):
            p.submit([Job("die", _die)]).results()
        assert p.size == 1
        assert p.submit([Job("sq", _square_and_pid, (4,))]).results()[0][0] == 16


def _environment_and_blas() -> tuple[dict[str, str], list[int], bool]:
    import sys

    from threadpoolctl import threadpool_info

    from nnfs_lab.sweeps.pool import PRELOAD

    return (dict(os.environ), [i["num_threads"] for i in threadpool_info()],
            all(m in sys.modules for m in PRELOAD))  # fmt: skip


def test_processes_get_the_creators_environment_one_blas_thread_and_preloaded_modules(
    monkeypatch,
):
    # A fork server started earlier (by another pool) has an older environment: a process
    # must still see the variables of the process that created its pool, as spawn gives.
    monkeypatch.setenv("NNFS_LAB_POOL_PROBE", "fresh")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with WorkerPool(1) as p:
        env, threads, preloaded = p.submit([Job("env", _environment_and_blas)]).results()[0]
    assert env["NNFS_LAB_POOL_PROBE"] == "fresh"
    assert env["OMP_NUM_THREADS"] == "1" and env["MPLBACKEND"] == "Agg"
    assert "OMP_NUM_THREADS" not in os.environ  # the creator's environment is left as it was
    assert threads and set(threads) == {1} and preloaded


def _exit_when_the_pool_creator_dies(marker: str) -> None:  # runs in a child python
    import time

    with WorkerPool(1) as p:
        pid = p.submit([Job("pid", os.getpid)]).results()[0]
        with open(marker, "w") as fh:
            fh.write(str(pid))
        time.sleep(60)


def test_pool_processes_exit_when_their_creator_is_killed(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / "pid"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_pool as t; "
            "t._exit_when_the_pool_creator_dies(sys.argv[2])")  # fmt: skip
    creator = subprocess.Popen([sys.executable, "-c", code, os.path.dirname(__file__),
                                str(marker)])  # fmt: skip
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline and creator.poll() is None
        time.sleep(0.1)
    child = int(marker.read_text())
    os.kill(creator.pid, signal.SIGKILL)
    creator.wait()
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "a pool process outlived its creator"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:  # a zombie has exited
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:  # reaped meanwhile
        return False


def _close_with_big_jobs_queued() -> None:  # runs in a child python
    import time

    pool = WorkerPool(1)
    pool.submit([Job("busy", time.sleep, (30,))])
    pool.submit([Job(f"big-{i}", len, (b"x" * 2_000_000,)) for i in range(4)])
    time.sleep(1.0)  # the busy job has started; the big ones fill the pipe
    pool.close(interrupt=True)


def test_an_interrupted_pool_with_queued_jobs_lets_its_creator_exit():
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_pool as t; "
            "t._close_with_big_jobs_queued()")  # fmt: skip
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code, os.path.dirname(__file__)], timeout=60)
    assert done.returncode == 0
    # The interrupt reached the process, just started, at once: it did not run its 30 s job
    # until the 15 s grace ended (a fork server's child ignores SIGINT while it starts).
    assert time.monotonic() - t0 < 12


def test_a_closed_pool_takes_no_more_jobs():
    from nnfs_lab.sweeps.pool import PoolClosed

    with WorkerPool(1) as p:
        pass
    with pytest.raises(PoolClosed, match="closed"):
        p.submit([Job("late", _square_and_pid, (2,))])
