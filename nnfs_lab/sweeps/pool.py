"""Local worker processes for a whole sweep: spawned once, given one study after another.

Starting a process costs seconds (importing NumPy, scikit-learn, MLflow and Optuna); a sweep of
three experiments with two families each would pay it six times per worker. :class:`WorkerPool`
starts its processes once and hands them each study's worker tasks through a queue, and, between
studies, the summary's independent fits (:meth:`WorkerPool.submit`: the held-out folds), so the
summary uses every core while the driver draws and logs. Each
process runs with one BLAS thread (N workers on N cores with a multi-threaded BLAS would
oversubscribe the machine), handles SIGTERM as Ctrl-C (so a stopped worker still hands its trial
back and ends its run), and exits when its parent is gone.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from nnfs_lab.sweeps.objective import SweepHooks
from nnfs_lab.sweeps.workers import WorkerTask, run_worker

__all__ = ["Job", "PendingJobs", "WorkerPool"]

#: Seconds every live process must have been idle, after a death, before unanswered jobs are
#: declared lost.
_LOST_AFTER = 3.0
_BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _single_threaded_blas():
    """Environment for spawned workers: one BLAS thread each (read when NumPy is imported, so
    it must be in the environment the child is spawned with)."""
    saved = {n: os.environ.get(n) for n in _BLAS_THREAD_VARS}
    for n in _BLAS_THREAD_VARS:
        os.environ.setdefault(n, "1")
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@dataclass(frozen=True)
class Job:
    """``fn(*args)`` run in a pool process; ``fn`` and ``args`` must be picklable."""

    label: str
    fn: Callable[..., Any]
    args: tuple = ()


def _execute(item: WorkerTask | Job, hooks: SweepHooks | None) -> Any:
    if isinstance(item, Job):
        return item.fn(*item.args)
    run_worker(item, hooks)
    return None


def _warm_up() -> None:
    """Import what every task needs (seconds of imports) while the driver still prepares the
    stores and the first study, instead of in the first trial's time."""
    import mlflow  # noqa: F401
    import optuna  # noqa: F401
    import sklearn.neural_network  # noqa: F401

    import nnfs_lab.estimators  # noqa: F401


def _serve(tasks: Any, done: Any, hooks: SweepHooks | None, parent: int) -> None:
    """A pool process: run worker tasks until told to stop or orphaned."""
    signal.signal(signal.SIGTERM, _interrupt)
    for name, value in (("MLFLOW_DISABLE_TELEMETRY", "true"), ("MPLBACKEND", "Agg"),
                        ("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true"),
                        ("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")):  # fmt: skip
        os.environ.setdefault(name, value)  # a process entry point: process-wide settings
    try:
        _warm_up()
    except KeyboardInterrupt:  # stopped while starting (e.g. the store failed): no traceback
        return
    while os.getppid() == parent:
        try:
            task = tasks.get(timeout=1.0)
        except queue.Empty:
            continue
        if task is None:
            return
        done.put(("start", os.getpid(), task.label))
        code, result = 0, None
        try:
            result = _execute(task, hooks)
        except KeyboardInterrupt:
            done.put(("done", os.getpid(), task.label, 130, None))
            raise
        except Exception:
            result = traceback.format_exc()
            if not isinstance(task, Job):
                traceback.print_exc()
            code = 1
        done.put(("done", os.getpid(), task.label, code, result))


class WorkerPool:
    """``n`` spawned worker processes, reused for every study of a sweep.

    Use as a context manager; :meth:`run` runs one study's tasks and returns their exit codes.
    """

    def __init__(self, n: int, hooks: SweepHooks | None = None) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self._tasks, self._done = ctx.Queue(), ctx.Queue()
        self._procs = [ctx.Process(target=_serve, args=(self._tasks, self._done, hooks,
                                                        os.getpid()), daemon=True)
                       for _ in range(n)]  # fmt: skip
        #: label -> (exit code, return value or traceback) of each finished task or job.
        self._finished: dict[str, tuple[int | None, Any]] = {}
        self._busy: dict[int, str] = {}
        self._submitted = 0
        with _single_threaded_blas():
            for p in self._procs:
                p.start()

    @property
    def size(self) -> int:
        """Number of live worker processes (one that died is not replaced)."""
        return sum(p.is_alive() for p in self._procs)

    def run(self, tasks: list[WorkerTask], *,
            while_waiting: Callable[[], Any] | None = None) -> list[int | None]:  # fmt: skip
        """Run ``tasks`` (at most one per process) and wait; their exit codes, by task.

        ``while_waiting()`` is called every ``poll_seconds`` meanwhile (the driver proposes the
        next generation of a deterministic sweep there). A task whose process died gets -9.
        """
        for t in tasks:
            self._tasks.put(t)
        poll = tasks[0].poll_seconds if tasks else 0.25
        self._wait([t.label for t in tasks], while_waiting, poll)
        return [self._finished.pop(t.label, (None, None))[0] for t in tasks]

    def submit(self, jobs: list[Job]) -> PendingJobs:
        """Queue ``jobs`` (any number; each process takes the next when free) and return at
        once; :meth:`PendingJobs.results` waits for them. Each submission gets labels of its
        own, so a later submission never sees an earlier one's results."""
        self._submitted += 1
        jobs = [replace(j, label=f"{j.label}#{self._submitted}") for j in jobs]
        for j in jobs:
            self._tasks.put(j)
        return PendingJobs(self, [j.label for j in jobs])

    def _wait(self, labels: list[str], while_waiting: Callable[[], Any] | None,
              poll: float) -> None:  # fmt: skip
        idle_since = None
        while any(label not in self._finished for label in labels):
            if while_waiting is not None:
                while_waiting()
            self._drain(poll)
            alive = {p.pid for p in self._procs if p.is_alive()}
            for pid, label in list(self._busy.items()):
                if pid not in alive:  # died mid-task: a trial of it is reaped by the driver
                    self._finished[label] = (-9, None)
                    del self._busy[pid]
            if not alive:
                self._lose(labels)
            idle_since = self._lost_after_death(labels, alive, idle_since)

    def _lost_after_death(self, labels: list[str], alive: set, idle_since: float | None):
        """A process that died before its "start" message left the queue took its job along:
        once a process has died and every live one has been idle for a few seconds (an idle
        process takes a queued job within a second), the jobs still unanswered are lost."""
        if len(alive) == len(self._procs) or any(pid in alive for pid in self._busy):
            return None
        now = time.monotonic()
        if idle_since is None:
            return now
        if now - idle_since > _LOST_AFTER:
            self._lose(labels)
        return idle_since

    def _lose(self, labels: list[str]) -> None:
        """Record the unanswered ``labels`` as killed."""
        for label in labels:
            self._finished.setdefault(label, (-9, None))

    def _drain(self, timeout: float) -> None:
        try:
            msg = self._done.get(timeout=timeout)
        except queue.Empty:
            return
        if msg[0] == "start":
            self._busy[msg[1]] = msg[2]
        else:
            self._busy.pop(msg[1], None)
            self._finished[msg[2]] = (msg[3], msg[4])

    def close(self, *, interrupt: bool = False) -> None:
        """Stop the processes: politely, or (``interrupt``) as Ctrl-C with a grace period."""
        if interrupt:
            _stop(self._procs)
            return
        for _ in self._procs:
            self._tasks.put(None)
        for p in self._procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: Any, *exc: object) -> None:
        self.close(interrupt=exc_type is not None)


class PendingJobs:
    """Jobs queued by :meth:`WorkerPool.submit`."""

    def __init__(self, pool: WorkerPool, labels: list[str]) -> None:
        self._pool, self._labels = pool, labels

    def results(self, poll: float = 0.05) -> list[Any]:
        """Wait for the jobs; their return values, in submission order.

        Raises
        ------
        RuntimeError
            When a job raised (its traceback in the message) or its process died.
        """
        pool = self._pool
        pool._wait(self._labels, None, poll)
        done = [(label, *pool._finished.pop(label)) for label in self._labels]
        for label, code, result in done:
            if code != 0:
                shown = label.rsplit("#", 1)[0]  # the caller's label
                raise RuntimeError(f"pool job {shown!r} failed (exit code {code})"
                                   + (f":\n{result}" if result else ""))  # fmt: skip
        return [result for _, _, result in done]


def _stop(procs: list[Any], grace: float = 15.0) -> None:
    """Interrupt our children (only ours, by handle) and give them ``grace`` seconds to hand
    their trials back and end their runs; terminate whoever is still there."""
    for p in procs:
        if p.is_alive() and p.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    for p in procs:
        p.join(timeout=max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            p.terminate()
            p.join(timeout=5)
