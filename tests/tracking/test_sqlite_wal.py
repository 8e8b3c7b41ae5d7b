"""Local sqlite stores in WAL mode: the switch, its refusal when busy, relaxed syncing only in
WAL mode, and a commit that survives its process being killed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nnfs_lab.tracking import close_sqlite_engines, journal_mode, relax_sync_for_wal, use_wal

sqlalchemy = pytest.importorskip("sqlalchemy")


def _synchronous(db: Path) -> int:
    """The ``synchronous`` level a new SQLAlchemy connection to ``db`` gets (2 FULL, 1 NORMAL)."""
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA synchronous").scalar())
    finally:
        engine.dispose()


def test_use_wal_switches_a_new_and_an_existing_file(tmp_path: Path):
    fresh = tmp_path / "fresh.db"
    assert use_wal(fresh) and journal_mode(fresh) == "wal"
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    assert journal_mode(old) == "delete"
    assert use_wal(old) and journal_mode(old) == "wal"
    assert use_wal(old)  # idempotent
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
    conn.close()


def test_use_wal_leaves_a_busy_store_as_it_is(tmp_path: Path):
    db = tmp_path / "busy.db"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN EXCLUSIVE")  # another process in the middle of a write
    try:
        assert use_wal(db, timeout=0.2) is False
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert journal_mode(db) == "delete"


def test_relaxed_sync_applies_to_wal_databases_only(tmp_path: Path):
    wal, rollback = tmp_path / "wal.db", tmp_path / "rollback.db"
    use_wal(wal)
    sqlite3.connect(rollback).close()
    relax_sync_for_wal()
    relax_sync_for_wal()  # idempotent
    assert _synchronous(wal) == 1  # NORMAL
    assert _synchronous(rollback) == 2  # FULL, sqlite's default


def test_closing_the_engines_folds_the_log_into_the_file(tmp_path: Path):
    db = tmp_path / "wal.db"
    use_wal(db)
    relax_sync_for_wal()
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
        conn.exec_driver_sql("INSERT INTO t VALUES (7)")
    assert (tmp_path / "wal.db-wal").exists()  # the pool keeps the connection open
    close_sqlite_engines()
    assert not (tmp_path / "wal.db-wal").exists()
    with engine.connect() as conn:  # the engine reconnects when used again
        assert conn.exec_driver_sql("SELECT x FROM t").scalar() == 7
    engine.dispose()


@pytest.mark.e2e  # a whole process (make test-e2e)
def test_a_run_committed_in_wal_mode_survives_a_killed_writer(tmp_path: Path):
    pytest.importorskip("mlflow")
    db = tmp_path / "mlflow.db"
    use_wal(db)
    # A process that logs a run through nnfs_lab's client (relaxed syncing), then is killed
    # before it could close its connections or checkpoint the log into mlflow.db.
    script = textwrap.dedent(f"""
        import os, signal
        from nnfs_lab import tracking
        client = tracking.get_client("sqlite:///{db}")
        exp = client.create_experiment("e")
        run = client.create_run(exp)
        client.log_metric(run.info.run_id, "m", 0.25, step=3)
        client.set_terminated(run.info.run_id, "FINISHED")
        print(run.info.run_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == -9, proc.stderr
    run_id = proc.stdout.strip()
    assert (tmp_path / "mlflow.db-wal").exists()  # the commits live in the log until then
    import mlflow

    run = mlflow.MlflowClient(f"sqlite:///{db}").get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["m"] == 0.25
