"""Local worker processes for a whole sweep: spawned once, given one study after another.

Starting a process costs seconds (importing NumPy, scikit-learn, MLflow and Optuna); a sweep of
three experiments with two families each would pay it six times per worker. :class:`WorkerPool`
starts its processes once and hands them each study's worker tasks through a queue. Each
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
from typing import Any

from nnfs_lab.sweeps.objective import SweepHooks
from nnfs_lab.sweeps.workers import WorkerTask, run_worker

__all__ = ["WorkerPool"]

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


def _serve(tasks: Any, done: Any, hooks: SweepHooks | None, parent: int) -> None:
    """A pool process: run worker tasks until told to stop or orphaned."""
    signal.signal(signal.SIGTERM, _interrupt)
    for name, value in (("MLFLOW_DISABLE_TELEMETRY", "true"), ("MPLBACKEND", "Agg"),
                        ("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true"),
                        ("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")):  # fmt: skip
        os.environ.setdefault(name, value)  # a process entry point: process-wide settings
    while os.getppid() == parent:
        try:
            task = tasks.get(timeout=1.0)
        except queue.Empty:
            continue
        if task is None:
            return
        done.put(("start", os.getpid(), task.label))
        code = 0
        try:
            run_worker(task, hooks)
        except KeyboardInterrupt:
            done.put(("done", os.getpid(), task.label, 130))
            raise
        except Exception:
            traceback.print_exc()
            code = 1
        done.put(("done", os.getpid(), task.label, code))


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
        with _single_threaded_blas():
            for p in self._procs:
                p.start()

    @property
    def size(self) -> int:
        """Number of worker processes."""
        return len(self._procs)

    def run(self, tasks: list[WorkerTask], *,
            while_waiting: Callable[[], Any] | None = None) -> list[int | None]:  # fmt: skip
        """Run ``tasks`` (at most one per process) and wait; their exit codes, by task.

        ``while_waiting()`` is called every ``poll_seconds`` meanwhile (the driver proposes the
        next generation of a deterministic sweep there). A task whose process died gets -9.
        """
        codes: dict[str, int | None] = {}
        busy: dict[int, str] = {}
        for t in tasks:
            self._tasks.put(t)
        poll = tasks[0].poll_seconds if tasks else 0.25
        while len(codes) < len(tasks):
            if while_waiting is not None:
                while_waiting()
            self._drain(codes, busy, poll)
            alive = {p.pid for p in self._procs if p.is_alive()}
            for pid, label in list(busy.items()):
                if pid not in alive:  # died mid-task: its trial is reaped by the driver
                    codes[label] = -9
                    del busy[pid]
            if not alive:
                codes.update({t.label: -9 for t in tasks if t.label not in codes})
        return [codes.get(t.label) for t in tasks]

    def _drain(self, codes: dict, busy: dict, timeout: float) -> None:
        try:
            msg = self._done.get(timeout=timeout)
        except queue.Empty:
            return
        if msg[0] == "start":
            busy[msg[1]] = msg[2]
        else:
            busy.pop(msg[1], None)
            codes[msg[2]] = msg[3]

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
