"""Local sqlite tracking stores in write-ahead-log mode, committed without an fsync each.

MLflow opens sqlite stores in sqlite's default rollback-journal mode with ``synchronous=FULL``:
every commit creates, syncs and deletes a journal file. A trial's run is five commits (create,
metrics, params, tags, status); measured on this project's machine (MLflow 3.17.2, 120 curve
rows): 49.6 ms per trial in rollback mode, 38.3 ms in WAL mode, 28.5 ms in WAL mode with
``synchronous=NORMAL`` (medians of 30, ``/tmp`` on ext4).

- :func:`use_wal` switches a store file to WAL mode. The mode is a property of the file, so the
  MLflow UI, other sweeps and worker processes all use it; readers no longer block the writer.
- :func:`relax_sync_for_wal` makes this process's SQLAlchemy connections to a database in WAL
  mode commit with ``synchronous=NORMAL``: a commit survives the process being killed (the
  fault this project tests), not a power cut, after which the last commits may be missing.
  Optuna's journal syncs every state change (:mod:`nnfs_lab.sweeps.journal`), so a sweep
  rerun after a power cut finds trials whose runs are missing and re-logs them
  (:func:`nnfs_lab.sweeps.repair.repair_runs`).

WAL mode needs the shared memory of one machine: a store on a network file system shared by
several machines should be an MLflow server instead (``--tracking-uri http://...``), as sqlite
stores there should be anyway. A store file in WAL mode has two companions while it is open,
``mlflow.db-wal`` and ``mlflow.db-shm``: copy or move the three together (or close every client
first, which folds the log back into ``mlflow.db``; ``nnfs-lab`` does before it exits). sqlite
cannot open a WAL-mode file in a read-only place without those companions: before archiving a
store read-only, switch it back (``sqlite3 mlflow.db "PRAGMA journal_mode=DELETE"``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from pathlib import Path

__all__ = ["close_sqlite_engines", "journal_mode", "relax_sync_for_wal", "use_wal"]

_installed = threading.Lock()
_listening = False
#: The SQLAlchemy engines of this process that opened a sqlite database (MLflow's among them).
_sqlite_engines: weakref.WeakSet = weakref.WeakSet()


def _journal_mode(conn: sqlite3.Connection, pragma: str = "PRAGMA journal_mode") -> str:
    """The journal mode ``pragma`` (a query or a switch) leaves ``conn``'s database in."""
    return str(conn.execute(pragma).fetchone()[0]).lower()


def journal_mode(db: str | Path) -> str:
    """The journal mode of the sqlite file ``db`` (``"wal"``, ``"delete"``...)."""
    with contextlib.closing(sqlite3.connect(db, timeout=5.0)) as conn:
        return _journal_mode(conn)


def use_wal(db: str | Path, *, timeout: float = 5.0) -> bool:
    """Switch the sqlite file ``db`` to WAL mode; whether it is in WAL mode now.

    Switching needs the file to itself: if another process holds it busy for ``timeout``
    seconds the store stays as it is (correct, only slower) and False is returned.
    """
    with contextlib.closing(sqlite3.connect(db, timeout=timeout)) as conn:
        try:
            return _journal_mode(conn, "PRAGMA journal_mode=WAL") == "wal"
        except sqlite3.OperationalError:  # "database is locked": another process is writing
            return False


def _on_connect(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    try:
        if _journal_mode(dbapi_connection) == "wal":
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.OperationalError:  # busy: the connection keeps sqlite's safe default
        pass


def _on_engine_connect(connection) -> None:
    if connection.engine.dialect.name == "sqlite":
        _sqlite_engines.add(connection.engine)


def close_sqlite_engines() -> None:
    """Close the pooled connections of every sqlite engine this process opened (they reconnect
    when used again). The last connection to a database in WAL mode folds the log back into
    the file and removes ``-wal`` and ``-shm``, so the file alone holds every commit. The
    entry point (``nnfs_lab.__main__.run``) calls this before it exits without the shutdown's
    garbage collections, which would otherwise have closed them."""
    for engine in list(_sqlite_engines):
        engine.dispose()


def relax_sync_for_wal() -> None:
    """From now on, every new SQLAlchemy connection of this process to a sqlite database in
    WAL mode commits with ``synchronous=NORMAL`` (idempotent; other databases are untouched:
    ``synchronous=NORMAL`` is only safe from corruption in WAL mode), and every sqlite engine
    used is remembered for :func:`close_sqlite_engines`."""
    global _listening
    with _installed:
        if _listening:
            return
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "engine_connect", _on_engine_connect)
        _listening = True
