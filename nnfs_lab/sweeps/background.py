"""Study summaries, one after the other, at once or beside the next study's trials.

A study's summary (held-out folds, figures, the refit model, MLflow logging) and an
experiment's comparison run in submission order. By default each runs at once, before the next
study starts. With ``nnfs-lab sweep --overlap-summaries`` (a pool, matplotlib on Agg)
:class:`Summaries` runs them in a background thread of the driver while the next study's
workers train: that pays where cores are spare; with as many workers as cores it saved nothing
measurable, and the next study's wall time then includes the summary's folds queued in the pool.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["Summaries", "abandon", "draws_off_screen"]

T = TypeVar("T")


class Summaries:
    """Run ``fn()`` callables in submission order; :meth:`wait` waits for all of them.

    ``background=True`` runs them in one daemon thread (a stopped sweep does not wait for a
    summary in flight: its study is summarized again by the next run); otherwise at once, in
    the caller's thread. A summary that raised makes the next :meth:`submit` or :meth:`wait`
    raise its error; the summaries after it are not run.
    """

    def __init__(self, *, background: bool) -> None:
        self._background = background
        self._futures: list[Future] = []
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def submit(self, fn: Callable[[], T]) -> Future:
        """Queue ``fn`` after the summaries submitted before it; its future result."""
        self._raise_failed()
        future: Future = Future()
        self._futures.append(future)
        if not self._background:
            future.set_result(fn())  # raises here, as the summary itself would
            return future
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="nnfs-lab-summaries",
                                            daemon=True)  # fmt: skip
            self._thread.start()
        self._queue.put((future, fn))
        return future

    def wait(self) -> None:
        """Wait for every summary submitted so far; raise the first one's error."""
        for f in self._futures:
            f.result()

    def stop(self, grace: float) -> None:
        """Run no queued summary; give the one in flight ``grace`` seconds to end."""
        self._stopping = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=grace)

    def _raise_failed(self) -> None:
        for f in self._futures:
            if f.done() and f.exception() is not None:
                raise f.exception()

    def _serve(self) -> None:
        failed = False
        while True:
            item = self._queue.get()
            if item is None:  # stop(): everything before it is cancelled below
                return
            future, fn = item
            if failed or self._stopping:  # an earlier one failed, or the sweep is stopping
                future.cancel()
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the driver's thread by wait()/submit()
                future.set_exception(exc)
                failed = True


def draws_off_screen() -> bool:
    """Whether matplotlib draws with Agg: summaries use pyplot (Optuna's plots), which only a
    non-interactive backend allows outside the main thread. The CLI and pool select Agg."""
    import matplotlib

    return matplotlib.get_backend().lower() == "agg"


def abandon(summaries: Summaries, results: list[tuple[str, Future]], client: Any,
            pool: Any) -> None:  # fmt: skip
    """After Ctrl-C or an error: stop the pool (a summary awaiting its folds ends), give the
    summary in flight a few seconds, and end as KILLED the parent runs (``results``: parent run
    id, future summary) of studies left unsummarized; the next run summarizes them (their
    fingerprint was not recorded)."""
    if pool is not None:
        pool.close(interrupt=True)
    summaries.stop(grace=10.0)
    for parent_id, future in results:
        if not future.done() or future.cancelled() or future.exception() is not None:
            with contextlib.suppress(Exception):
                client.set_terminated(parent_id, status="KILLED")
