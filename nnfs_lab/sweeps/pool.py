"""Local worker processes for a whole sweep: spawned once, given one study after another.

Starting a process costs seconds (importing NumPy, scikit-learn, MLflow and Optuna); a sweep of
three experiments with two families each would pay it six times per worker. :class:`WorkerPool`
starts its processes once and hands them each study's worker tasks through a queue, and, between
studies, the summary's independent fits (:meth:`WorkerPool.submit`: the held-out folds), so the
summary uses every core while the driver draws and logs. Where the platform has one (Linux,
macOS), the processes are forked from multiprocessing's fork server, which imports those
libraries once (:data:`PRELOAD`) instead of once per process: two spawned processes importing
beside the driver on two cores delayed a sweep's first trial by 3-4 s. Each process gets the
environment the pool was created in, runs with one BLAS thread (N workers on N cores with a
multi-threaded BLAS would oversubscribe the machine), handles SIGTERM as Ctrl-C (so a stopped
worker still hands its trial back and ends its run), and exits when its parent is gone.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nnfs_lab.sweeps.objective import SweepHooks
from nnfs_lab.sweeps.workers import WorkerTask, run_worker
from nnfs_lab.tracking import PROCESS_DEFAULTS

__all__ = ["PRELOAD", "Job", "PendingJobs", "PoolClosed", "WorkerPool"]

#: Seconds every live process must have been idle, after a death, before unanswered jobs are
#: declared lost.
_LOST_AFTER = 3.0
#: Process-wide settings of pool processes (where the caller has not set them): one BLAS
#: thread (read when NumPy is imported, so they must be there when the fork server starts)
#: and the entry points' defaults (no telemetry, no progress bars, plots without a display).
_CHILD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              **PROCESS_DEFAULTS}  # fmt: skip

#: What every pool process imports before its first task (by the fork server, once).
PRELOAD = ("numpy", "mlflow", "mlflow.store.tracking.sqlalchemy_store", "optuna",
           "sklearn.neural_network", "nnfs_lab.estimators", "nnfs_lab.sweeps.workers")  # fmt: skip


@contextlib.contextmanager
def _child_environment():
    """The environment pool processes (and the fork server) start with: ours plus
    :data:`_CHILD_ENV`; restored afterwards."""
    saved = {n: os.environ.get(n) for n in _CHILD_ENV}
    for n, v in _CHILD_ENV.items():
        os.environ.setdefault(n, v)
    try:
        yield dict(os.environ)
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def _context() -> Any:
    """Fork server with :data:`PRELOAD` where there is one, else spawn (Windows)."""
    import multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))  # ignored once the server runs: same list
    return ctx


def _parent_alive() -> bool:
    import multiprocessing as mp

    parent = mp.parent_process()
    return parent is None or parent.is_alive()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@dataclass(frozen=True)
class Job:
    """``fn(*args)`` run in a pool process; ``fn`` and ``args`` must be picklable."""

    label: str
    fn: Callable[..., Any]
    args: tuple = ()


class PoolClosed(RuntimeError):
    """The pool was closed (Ctrl-C, an error) while its jobs were awaited."""


def _execute(item: WorkerTask | Job, hooks: SweepHooks | None) -> Any:
    if isinstance(item, Job):
        return item.fn(*item.args)
    run_worker(item, hooks)
    return None


def _warm_up() -> None:
    """Import what every task needs (seconds, when no fork server did it) while the driver
    still prepares the stores and the first study, instead of in the first trial's time; one
    BLAS thread whatever the environment the libraries were imported in."""
    import importlib

    from threadpoolctl import threadpool_limits

    for name in PRELOAD:
        importlib.import_module(name)
    threadpool_limits(limits=1)


def _serve(tasks: Any, done: Any, hooks: SweepHooks | None, env: dict[str, str]) -> None:
    """A pool process: run worker tasks until told to stop or orphaned."""
    signal.signal(signal.SIGTERM, _interrupt)
    # A forked process has the fork server's environment: take the pool creator's, as spawn does.
    os.environ.clear()
    os.environ.update(env)
    try:
        _warm_up()
    except KeyboardInterrupt:  # stopped while starting (e.g. the store failed): no traceback
        return
    while _parent_alive():
        try:
            item = tasks.get(timeout=1.0)
        except queue.Empty:
            continue
        if item is None:
            return
        key, task = item  # key: unique per submission, whatever the task's own label
        done.put(("start", os.getpid(), key))
        code, result, t0 = 0, None, time.perf_counter()
        try:
            result = _execute(task, hooks)
        except KeyboardInterrupt:
            done.put(("done", os.getpid(), key, 130, None, time.perf_counter() - t0))
            raise
        except Exception:
            result = traceback.format_exc()
            if not isinstance(task, Job):
                traceback.print_exc()
            code = 1
        done.put(("done", os.getpid(), key, code, result, time.perf_counter() - t0))


class WorkerPool:
    """``n`` spawned worker processes, reused for every study of a sweep.

    Use as a context manager; :meth:`run` runs one study's tasks and returns their exit codes
    and durations. :meth:`run` and :meth:`PendingJobs.results` may wait in different threads
    (a study's summary awaits its folds while the next study runs).
    """

    def __init__(self, n: int, hooks: SweepHooks | None = None) -> None:
        ctx = _context()
        self._tasks, self._done = ctx.Queue(), ctx.Queue()
        #: label -> (exit code, return value or traceback, seconds) of each finished task/job.
        self._finished: dict[str, tuple[int | None, Any, float]] = {}
        #: pid -> (label, when its start was heard) of each running task or job.
        self._busy: dict[int, tuple[str, float]] = {}
        self._submitted = 0
        self._closed = False
        self._lock = threading.RLock()  # the result queue and the records above
        with _child_environment() as env:
            if ctx.get_start_method() == "forkserver":
                from multiprocessing import forkserver

                forkserver.ensure_running()  # in this environment; it imports PRELOAD now
            self._procs = [ctx.Process(target=_serve, args=(self._tasks, self._done, hooks, env),
                                       daemon=True) for _ in range(n)]  # fmt: skip
        # A start returns once the process exists: after the fork server's imports. Meanwhile
        # the caller goes on (creating stores, studies); whatever needs the processes waits.
        self._starting = threading.Thread(target=_start_all, args=(self._procs,), daemon=True)
        self._starting.start()

    def _started(self) -> list[Any]:
        """The processes, once their starts have returned."""
        self._starting.join()
        return self._procs

    @property
    def size(self) -> int:
        """Number of live worker processes (one that died is not replaced)."""
        return sum(p.is_alive() for p in self._started())

    def run(self, tasks: list[WorkerTask], *, while_waiting: Callable[[], Any] | None = None
            ) -> list[tuple[int | None, float]]:  # fmt: skip
        """Run ``tasks`` (at most one per process) and wait; ``(exit code, seconds the
        process spent on it)`` by task (jobs queued earlier run first, outside those seconds).

        ``while_waiting()`` is called every ``poll_seconds`` meanwhile (the driver proposes the
        next generation of a deterministic sweep there). A task whose process died gets -9.
        """
        keys = self._queue_items(tasks)
        poll = tasks[0].poll_seconds if tasks else 0.25
        self._wait(keys, while_waiting, poll)
        with self._lock:
            done = [self._finished.pop(k, (None, None, 0.0)) for k in keys]
        return [(code, seconds) for code, _, seconds in done]

    def submit(self, jobs: list[Job]) -> PendingJobs:
        """Queue ``jobs`` (any number; each process takes the next when free) and return at
        once; :meth:`PendingJobs.results` waits for them."""
        return PendingJobs(self, self._queue_items(jobs))

    def _queue_items(self, items: list[WorkerTask | Job]) -> list[str]:
        """Queue ``items`` under keys of their own (``label#n``): a later submission never
        sees an earlier one's results, whatever their labels (every study has a task "0")."""
        if self._closed:
            raise PoolClosed("the sweep's worker pool is closed")
        with self._lock:
            self._submitted += 1
            keys = [f"{item.label}#{self._submitted}" for item in items]
        for key, item in zip(keys, items):
            self._tasks.put((key, item))
        return keys

    def _wait(self, labels: list[str], while_waiting: Callable[[], Any] | None,
              poll: float) -> None:  # fmt: skip
        idle_since = None
        while any(label not in self._finished for label in labels):
            if self._closed:
                raise PoolClosed("the sweep's worker pool was closed")
            if while_waiting is not None:
                while_waiting()
            with self._lock:
                self._drain(poll)
                alive = {p.pid for p in self._started() if p.is_alive()}
                for pid, (label, since) in list(self._busy.items()):
                    if pid not in alive:  # died mid-task: a trial of it is reaped by the driver
                        self._finished[label] = (-9, None, time.monotonic() - since)
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
            self._finished.setdefault(label, (-9, None, 0.0))

    def _drain(self, timeout: float) -> None:
        try:
            msg = self._done.get(timeout=timeout)
        except queue.Empty:
            return
        if msg[0] == "start":
            self._busy[msg[1]] = (msg[2], time.monotonic())
        else:
            self._busy.pop(msg[1], None)
            self._finished[msg[2]] = (msg[3], msg[4], msg[5])

    def close(self, *, interrupt: bool = False) -> None:
        """Stop the processes: politely, or (``interrupt``) as Ctrl-C with a grace period."""
        self._closed = True
        procs = [p for p in self._started() if p.pid is not None]
        if interrupt:
            # Queued items nobody will read must not hold this process at exit (the queue's
            # feeder thread would wait on a full pipe forever).
            self._tasks.cancel_join_thread()
            self._done.cancel_join_thread()
            _stop(procs)
            return
        for _ in procs:
            self._tasks.put(None)
        for p in procs:
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
        PoolClosed
            When the pool is closed first (its jobs will not be answered).
        RuntimeError
            When a job raised (its traceback in the message) or its process died.
        """
        pool = self._pool
        pool._wait(self._labels, None, poll)
        if pool._closed:  # killed by the close itself (-9, 130): nothing to rescore
            raise PoolClosed("the sweep's worker pool was closed")
        with pool._lock:
            done = [(label, *pool._finished.pop(label)[:2]) for label in self._labels]
        for label, code, result in done:
            if code != 0:
                shown = label.rsplit("#", 1)[0]  # the caller's label
                raise RuntimeError(f"pool job {shown!r} failed (exit code {code})"
                                   + (f":\n{result}" if result else ""))  # fmt: skip
        return [result for _, _, result in done]


def _start_all(procs: list[Any]) -> None:
    """Start the processes; one that cannot start stays unstarted (not alive, no pid)."""
    for p in procs:
        try:
            p.start()
        except Exception as exc:  # e.g. out of processes: the pool is smaller, studies go on
            warnings.warn(f"could not start a sweep worker process: {exc}", stacklevel=1)


def _stop(procs: list[Any], grace: float = 15.0) -> None:
    """Interrupt our children (only ours, by handle) and give them ``grace`` seconds to hand
    their trials back and end their runs; terminate whoever is still there.

    The interrupt is SIGTERM, which a pool process handles as Ctrl-C. Not SIGINT: a fork
    server's child ignores SIGINT until it restores its handlers, so a process interrupted
    just after it started kept running its job through the whole grace period (measured:
    15 s, where SIGTERM either ends it before it runs anything or is handled at once).
    """
    for p in procs:
        if p.is_alive() and p.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        p.join(timeout=max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            p.terminate()
            p.join(timeout=5)
