"""The Optuna journal file of a sweep: Optuna's backend, without an fsync for pruner reports.

Optuna's :class:`~optuna.storages.journal.JournalFileBackend` syncs the file to disk on every
append. A trial makes ~40 appends, ~25 of them pruner reports (``trial.report``: one
intermediate value each), and the sync is most of their cost: measured through the real sweep
code path (`experiments/spiral.toml`, 40 NNFS trials, one worker), the reports took 22 ms per
trial with it and 7-9 ms without.

:class:`JournalFile` appends a batch made only of intermediate values without the sync and
syncs every other append as Optuna does. Nothing is lost by it:

- a process that is killed loses nothing: the append is in the kernel's page cache, which
  every process reads and which outlives the process (the fault this project's tests inject);
- after a power cut, only appends after the last synced one can be missing (syncing the file
  flushes everything written to it before). A finished trial's reports precede its ``tell``,
  a synced state change, so they are on disk with it; the reports that can be missing belong to
  a trial that was still running, whose worker died with the machine: the trial is reaped and
  retried from scratch (:mod:`~nnfs_lab.sweeps.stale`), and its reports are not read again.

Trials, their states, parameters and attributes (what MLflow runs are matched against) are
synced on every write, as before.

A power cut can also leave the file's last record torn (part of a line, no newline), which
Optuna never applies; but the next append would be glued onto it and Optuna would then refuse
every record after it. Opening a :class:`JournalFile` therefore cuts such a tail off, under the
journal's lock, with a warning (it can only be a record that was never complete).
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

from optuna.storages.journal import JournalFileBackend

from nnfs_lab.sweeps.locks import FlockJournalLock

__all__ = ["JournalFile", "drop_torn_tail", "is_report"]

#: The keys of the journal's record of ``trial.report`` (one intermediate value); no other
#: record of the journal's format has them all.
_REPORT_KEYS = frozenset({"op_code", "worker_id", "trial_id", "step", "intermediate_value"})


def is_report(log: dict[str, Any]) -> bool:
    """Whether a journal record is a pruner report (an intermediate value, and nothing else)."""
    return log.keys() == _REPORT_KEYS


def drop_torn_tail(path: str | os.PathLike) -> int:
    """Truncate ``path`` after its last newline; the number of bytes dropped (0: whole)."""
    with open(path, "rb+") as f:
        end = f.seek(0, os.SEEK_END)
        pos = end
        while pos > 0:
            start = max(0, pos - 65536)
            f.seek(start)
            newline = f.read(pos - start).rfind(b"\n")
            if newline >= 0:
                pos = start + newline + 1
                break
            pos = start
        if pos < end:
            f.truncate(pos)
        return end - pos


class JournalFile(JournalFileBackend):
    """An Optuna journal file under a :class:`~nnfs_lab.sweeps.locks.FlockJournalLock`.

    Parameters
    ----------
    path : str
        The journal file (created if missing).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = FlockJournalLock(path)
        super().__init__(path, lock_obj=self.lock)
        with self.lock:
            if dropped := drop_torn_tail(path):
                warnings.warn(f"{path}: dropped an unfinished last record ({dropped} bytes) "
                              "left by a crash", stacklevel=2)  # fmt: skip

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        """Append ``logs``; synced to disk unless they are all pruner reports."""
        if not logs or not all(is_report(log) for log in logs):
            super().append_logs(logs)
            return
        # The bytes Optuna's backend writes (one JSON object per line), under the same lock.
        data = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs)
        with self.lock, open(self.path, "ab") as f:
            f.write(data.encode("utf-8"))
            f.flush()

    def __repr__(self) -> str:
        return f"JournalFile({os.fspath(self.path)!r})"
