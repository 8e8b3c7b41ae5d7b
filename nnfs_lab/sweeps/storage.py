"""Optuna storages: a journal file beside the MLflow store by default, or an RDB URL.

A journal file is safe for several processes on one machine (16 ran cleanly where sqlite said
"database is locked"); never share one database file between Optuna and MLflow. An RDB URL
(PostgreSQL) serves workers on several machines, with heartbeats.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnfs_lab.tracking import (
    StoreError,
    database_error,
    default_journal_path,
    mask_url,
    sqlite_path,
)

__all__ = ["make_storage", "resolve_storage", "storage_label"]


def resolve_storage(storage: str | None, tracking_uri: str) -> str:
    """The Optuna storage spec: ``--storage`` if given, else a journal file beside the store.

    A value with ``://`` is an RDB URL (``postgresql://...``, ``sqlite:///...``); anything else
    (optionally prefixed ``journal:``) is a journal file path.
    """
    if storage is None:
        return "journal:" + str(default_journal_path(tracking_uri))
    if "://" in storage:
        db, mlflow_db = sqlite_path(storage), sqlite_path(tracking_uri)
        if db is not None and mlflow_db is not None and db.resolve() == mlflow_db.resolve():
            raise ValueError(
                f"Optuna storage {storage} is the MLflow database; use a separate file "
                "(Optuna's writes from several processes would lock MLflow's)"
            )
        return storage
    path = storage.removeprefix("journal:")
    return "journal:" + str(Path(path).resolve())


def storage_label(spec: str) -> str:
    """A spec safe to print and log (password masked)."""
    return mask_url(spec)


def make_storage(
    spec: str,
    *,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    stale_callback: Callable[[Any, Any], None] | None = None,
) -> Any:
    """An Optuna storage object from :func:`resolve_storage`'s spec.

    A journal file is safe for several processes on one machine (16 ran cleanly where sqlite
    said "database is locked"); it is synced on every write but a running trial's details
    (:mod:`~nnfs_lab.sweeps.journal`). An RDB URL gets heartbeats: a trial whose worker stops
    beating for ``grace_period`` seconds is failed by the next worker that looks, and
    ``stale_callback(study, trial)`` runs (it retries the trial and ends its MLflow run).

    Raises
    ------
    nnfs_lab.StoreError
        When the storage cannot be opened; the message names it with the password masked.
    """
    import optuna
    from optuna.storages import JournalStorage

    from nnfs_lab.sweeps.journal import JournalFile

    if spec.startswith("journal:"):
        path = Path(spec.removeprefix("journal:"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFile(str(path)))
        except OSError as exc:
            raise StoreError(f"cannot open Optuna journal {path}: {exc}") from None
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if spec.startswith("postgres"):
        # Fail in seconds, not after the OS's TCP timeout, when the server is unreachable.
        engine_kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                spec,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=stale_callback if heartbeat_interval else None,
            )
    except Exception as exc:
        raise database_error(exc, spec, what="Optuna storage", action="open") from None
