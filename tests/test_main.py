"""The process entry point: main's status, stores closed, the heap frozen, nothing lost."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nnfs_lab.__main__ as entry


def test_run_closes_sqlite_engines_then_freezes_and_exits_with_mains_status(monkeypatch):
    import nnfs_lab.cli
    import nnfs_lab.tracking

    events: list[str] = []
    monkeypatch.setattr(nnfs_lab.cli, "main", lambda: events.append("main") or 3)
    monkeypatch.setattr(nnfs_lab.tracking, "close_sqlite_engines", lambda: events.append("close"))
    monkeypatch.setattr(entry.gc, "freeze", lambda: events.append("freeze"))
    with pytest.raises(SystemExit) as info:
        entry.run()
    assert info.value.code == 3
    assert events == ["main", "close", "freeze"]


@pytest.mark.e2e  # a whole process (make test-e2e)
def test_a_store_written_before_a_frozen_exit_is_whole_in_its_file(tmp_path: Path):
    # The exit freezes the heap, so the shutdown no longer closes MLflow's connections (the
    # close is what folds a WAL store's log into mlflow.db). entry.run closes them first: the
    # file alone holds the run, no -wal file is left.
    pytest.importorskip("mlflow")
    db = tmp_path / "mlflow.db"
    script = textwrap.dedent(f"""
        import sys
        import nnfs_lab.__main__ as entry
        from nnfs_lab import cli, tracking

        def main():
            tracking.use_wal({str(db)!r})
            client = tracking.get_client("sqlite:///{db}")
            run = client.create_run(client.create_experiment("e"))
            client.set_terminated(run.info.run_id, "FINISHED")
            return 0

        cli.main = main
        entry.run()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "mlflow.db-wal").exists()
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("FINISHED",)]
    finally:
        conn.close()
