"""flock locks: exclusive between processes, re-entrant in one, and never a self-deadlock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from nnfs_lab.sweeps import locks


def test_a_lock_excludes_other_processes_and_nests_in_its_own(tmp_path: Path, flock_held):
    lock = locks.FileLock(tmp_path / "sub" / "x.lock")
    with lock:
        with lock:  # re-entrant
            assert flock_held(lock.path)
        assert flock_held(lock.path)  # still held by the outer block
    assert not flock_held(lock.path)


def test_an_acquire_interrupted_after_its_flock_does_not_deadlock_the_next(
    tmp_path: Path, monkeypatch, flock_held
):
    import fcntl

    lock = locks.FileLock(tmp_path / "x.lock")
    real = fcntl.flock

    class Interrupted:  # Ctrl-C lands right after the kernel granted the lock
        LOCK_EX, LOCK_UN = fcntl.LOCK_EX, fcntl.LOCK_UN

        @staticmethod
        def flock(fd, op):
            real(fd, op)
            raise KeyboardInterrupt

    monkeypatch.setattr(locks, "fcntl", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        lock.acquire()
    monkeypatch.setattr(locks, "fcntl", fcntl)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (lock.acquire(), lock.release(), done.set()))
    worker.daemon = True
    worker.start()
    assert done.wait(5), "the lock deadlocked on its own process"
    assert not flock_held(lock.path)


def test_claim_and_propose_locks_sit_beside_a_journal_and_not_on_an_rdb(tmp_path: Path):
    journal = tmp_path / "optuna-journal.log"
    assert locks.claim_lock(f"journal:{journal}").path == Path(f"{journal}.claims.flock")
    assert locks.propose_lock(f"journal:{journal}").path == Path(f"{journal}.propose.flock")
    assert locks.claim_lock("postgresql://u@h/db") is None
    assert locks.propose_lock("postgresql://u@h/db") is None
