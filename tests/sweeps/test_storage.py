from __future__ import annotations

from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from nnfs_lab.sweeps import storage as sweep_storage  # noqa: E402


def test_resolve_storage(tmp_path: Path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    assert sweep_storage.resolve_storage(None, uri) == f"journal:{tmp_path}/optuna-journal.log"
    assert sweep_storage.resolve_storage("pg.log", uri).startswith("journal:/")
    assert sweep_storage.resolve_storage("postgresql://u@h/db", uri) == "postgresql://u@h/db"
    with pytest.raises(ValueError, match="MLflow database"):
        sweep_storage.resolve_storage(uri, uri)


def test_bad_rdb_storage_fails_fast_with_masked_password():
    from nnfs_lab.tracking import StoreError

    url = "postgresql://nnfs:s3cret@127.0.0.1:1/optuna"
    with pytest.raises(StoreError) as info:
        sweep_storage.make_storage(url, heartbeat_interval=5, grace_period=10)
    msg = str(info.value)
    assert "postgresql://nnfs:***@127.0.0.1:1/optuna" in msg and "s3cret" not in msg
