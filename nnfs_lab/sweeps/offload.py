"""Work a study's summary hands to the sweep's pool while the driver goes on.

A summary's work that needs nothing from the driver (the held-out folds, the best trials'
learning curves) runs as jobs in the pool's processes while the driver draws the study's figures
and refits the model to ship; without a pool it runs in the driver when its results are asked
for. A job whose process died or that failed is done again in the driver when its result
matters (the verdict) and skipped with a warning when it does not (a figure); a pool closed
under the summary (Ctrl-C) stops it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from nnfs_lab.sweeps.pool import Job, PoolClosed

__all__ = ["start_jobs"]


def _here(jobs: Sequence[Job]) -> list[Any]:
    return [job.fn(*job.args) for job in jobs]


def start_jobs(pool: Any, jobs: Sequence[Job], *, what: str, redo_here: bool = True
               ) -> Callable[[], list[Any]]:  # fmt: skip
    """Start ``jobs`` in ``pool``'s processes; call the result for their values, in order.

    Parameters
    ----------
    pool : WorkerPool or None
        Without one (or with every process dead) the jobs run here, when the values are asked.
    jobs : sequence of Job
    what : str
        What the jobs make, for the warning when they fail ("held-out folds of nnfs").
    redo_here : bool
        A failed job's work is done again here (True) or given up, its value None (False).

    Raises
    ------
    PoolClosed
        When the values are asked after the pool was closed (the sweep is being stopped).
    """
    jobs = list(jobs)
    if pool is None or pool.size == 0:
        return lambda: _here(jobs)
    pending = pool.submit(jobs)

    def values() -> list[Any]:
        try:
            return pending.results()
        except PoolClosed:
            raise
        except RuntimeError as exc:  # a process died or a job raised
            if redo_here:
                warnings.warn(f"{what} redone in the driver: {exc}", stacklevel=2)
                return _here(jobs)
            warnings.warn(f"{what} not made: {exc}", stacklevel=2)
            return [None] * len(jobs)

    return values
