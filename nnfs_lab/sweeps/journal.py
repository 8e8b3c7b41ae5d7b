"""The Optuna journal file of a sweep: Optuna's backend, synced only where a record must last.

Optuna's :class:`~optuna.storages.journal.JournalFileBackend` syncs the file to disk on every
append. A trial makes ~45 appends: its creation, its claim and its ``tell`` (state changes),
and ~42 details of the running trial: its parameters (one record each, ~9 on the spiral), the
pruner's reports (~28, one intermediate value each) and its attributes (owner, MLflow run, fit
seconds). Measured through the real sweep code path (``experiments/spiral.toml``, 40 trials per
family, one worker): syncing the reports cost 22 ms per trial against 7-9 ms without; syncing
the other details cost another 2-7 ms per trial (3 runs of each family, alternated).

:class:`JournalFile` appends a batch made only of trial details (:func:`is_trial_detail`)
without the sync, and syncs every other append as Optuna does: studies, trial creations (an
enqueued trial's parameters, generation and slot live in its creation record) and state
changes (claim, ``tell``, fail). Nothing is lost by it:

- a process that is killed loses nothing: the append is in the kernel's page cache, which
  every process reads and which outlives the process (the fault this project's tests inject);
- after a power cut, only appends after the last synced one can be missing (syncing the file
  flushes everything written to it before). A detail matters only for an unfinished trial
  (Optuna refuses details of a finished one), and a trial's details precede its synced
  ``tell``: a finished trial has all of them. The details that can be missing belong to a
  trial that was still running, whose worker died with the machine: the trial is reaped (an
  owner-less claim is dead at once, :mod:`~nnfs_lab.sweeps.stale`) and retried from its
  creation record, which holds a deterministic sweep's enqueued parameters (fixed), generation
  and slot; its own details are not read again. (An asynchronous or time-budget trial samples
  its parameters as it runs: its retry samples again those a power cut lost.)

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

__all__ = ["JournalFile", "drop_torn_tail", "is_trial_detail"]

#: The journal's records of a running trial's details, by Optuna's operation code, with the
#: exact keys of each: a parameter (5), an intermediate value (7, ``trial.report``), a user (8)
#: and a system attribute (9). A record of a changed format is synced, as Optuna does.
_DETAIL_KEYS = {
    op: frozenset({"op_code", "worker_id", "trial_id", *keys})
    for op, keys in (
        (5, ("param_name", "param_value_internal", "distribution")),
        (7, ("step", "intermediate_value")),
        (8, ("user_attr",)),
        (9, ("system_attr",)),
    )
}


def is_trial_detail(log: dict[str, Any]) -> bool:
    """Whether a journal record is a detail of a trial (a parameter, a pruner report, an
    attribute), and not a study, a trial's creation or a change of its state."""
    return _DETAIL_KEYS.get(log.get("op_code")) == log.keys()


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
        """Append ``logs``; synced to disk unless they are all trial details."""
        if not logs or not all(is_trial_detail(log) for log in logs):
            super().append_logs(logs)
            return
        # The bytes Optuna's backend writes (one JSON object per line), under the same lock.
        data = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs)
        with self.lock, open(self.path, "ab") as f:
            f.write(data.encode("utf-8"))
            f.flush()

    def __repr__(self) -> str:
        return f"JournalFile({os.fspath(self.path)!r})"
