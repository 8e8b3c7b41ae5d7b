"""File locks of one machine: the Optuna journal's lock, and the locks that serialize a sweep's
setup (creating the MLflow store, experiments, studies, parent runs) and each study's summary.

They are ``flock`` locks: the kernel releases them when their process dies, so a killed sweep
never leaves a lock behind (Optuna's default journal lock is a file that a killed process
leaves, stalling the next open for its 30 s grace period). Two sweeps started at once on a
fresh directory take turns creating the store instead of corrupting it; a study's summary is
written by whichever process gets there first, and found done by the other.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; locks become no-ops
    fcntl = None

from nnfs_lab.tracking import sqlite_path

__all__ = ["FileLock", "FlockJournalLock", "claim_lock", "lock_dir", "propose_lock"]


class FileLock:
    """An exclusive lock on ``path`` for a ``with`` block (blocking; re-entrant in a process).

    Parameters
    ----------
    path : path-like
        The lock file (created, with its folder, if missing; never deleted).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._depth = 0

    def acquire(self) -> bool:
        """Wait for the lock; return True (the interface Optuna's journal expects)."""
        if self._depth == 0:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            # An acquire interrupted (Ctrl-C) between the flock and the count below leaves the
            # lock held on this descriptor: locking it again is a no-op, never a self-deadlock.
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._depth += 1
        return True

    def release(self) -> None:
        """Release the lock (the last release of a nested acquire unlocks)."""
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class FlockJournalLock(FileLock):
    """The lock of an Optuna journal file (``JournalFileBackend(path, lock_obj=...)``)."""

    def __init__(self, journal: str | os.PathLike) -> None:
        super().__init__(f"{journal}.flock")


def _beside_journal(storage_spec: str, suffix: str) -> FileLock | None:
    """A lock file beside a journal storage's file; None for an RDB storage, whose workers may
    be on other machines (no file lock reaches them: heartbeats and the driver serve there)."""
    if not storage_spec.startswith("journal:"):
        return None
    return FileLock(f"{storage_spec.removeprefix('journal:')}.{suffix}.flock")


def claim_lock(storage_spec: str) -> FileLock | None:
    """The lock a worker holds while it claims a trial of a journal file (None on an RDB).

    A claim is two writes (the trial's state, then its owner); under this lock they are one, so
    a reaper holding it knows an owner-less RUNNING trial was claimed by a process now dead.
    """
    return _beside_journal(storage_spec, "claims")


def propose_lock(storage_spec: str) -> FileLock | None:
    """The lock under which any process of this machine proposes a deterministic study's next
    generation on a journal file (None on an RDB: the driver alone proposes there).

    Proposing is a pure function of the earlier generations; under this lock a second proposer
    finds the generation enqueued and adds nothing, so no slot is ever enqueued twice.
    """
    return _beside_journal(storage_spec, "propose")


def lock_dir(tracking_uri: str, storage_spec: str) -> Path:
    """Where a sweep's locks live: beside the sqlite store, else the journal, else the cwd."""
    db = sqlite_path(tracking_uri)
    if db is not None:
        return db.resolve().parent / ".nnfs_lab-locks"
    if storage_spec.startswith("journal:"):
        return Path(storage_spec.removeprefix("journal:")).resolve().parent / ".nnfs_lab-locks"
    return Path.cwd() / ".nnfs_lab-locks"
