from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_lab import tracking

pytest.importorskip("mlflow")


@pytest.fixture
def client(tmp_cwd: Path):
    uri = tracking.resolve_tracking_uri(None)
    return tracking.get_client(uri), uri


def test_resolve_tracking_uri(tmp_cwd: Path, monkeypatch: pytest.MonkeyPatch):
    assert tracking.resolve_tracking_uri() == f"sqlite:///{tmp_cwd / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking:5000")
    assert tracking.resolve_tracking_uri() == "http://tracking:5000"
    assert tracking.resolve_tracking_uri("postgresql://u@h/db") == "postgresql://u@h/db"


def test_journal_beside_sqlite_db(tmp_cwd: Path):
    assert tracking.default_journal_path("sqlite:////data/x/mlflow.db") == Path(
        "/data/x/optuna-journal.log"
    )
    assert tracking.default_journal_path("http://h:5000") == tmp_cwd / "optuna-journal.log"


def test_ui_command():
    cmd = tracking.ui_command("sqlite:////a/mlflow.db")
    assert cmd[:4] == ["mlflow", "ui", "--backend-store-uri", "sqlite:////a/mlflow.db"]
    assert "--host" in cmd and "127.0.0.1" in cmd and "5000" in cmd
    assert cmd[cmd.index("--app-name") + 1] == "nnfs-lab"  # opens on training runs


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@db.example:5432/optuna", "postgresql://u:***@db.example:5432/optuna"),
        ("postgresql+psycopg2://u:p%40ss@h/db", "postgresql+psycopg2://u:***@h/db"),
        ("http://u:pw@[::1]:5000", "http://u:***@[::1]:5000"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("sqlite:////tmp/mlflow.db", "sqlite:////tmp/mlflow.db"),
    ],
)
def test_mask_url(url, shown):
    assert tracking.mask_url(url) == shown


def test_unreachable_tracking_server_fails_fast_naming_it():
    import socket
    import time

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"http://admin:hunter2@127.0.0.1:{port}"
    t0 = time.monotonic()
    with pytest.raises(tracking.StoreError) as info:
        tracking.check_tracking_uri(uri, timeout=5)
    assert time.monotonic() - t0 < 5
    msg = str(info.value)
    assert f"http://admin:***@127.0.0.1:{port}" in msg and "hunter2" not in msg


def test_bad_tracking_uris_fail_fast(tmp_path: Path):
    with pytest.raises(tracking.StoreError, match="does not exist"):
        tracking.check_tracking_uri(f"sqlite:///{tmp_path}/missing/dir/mlflow.db")
    with pytest.raises(tracking.StoreError, match=r"postgresql://u:\*\*\*@127.0.0.1:1/m"):
        tracking.check_tracking_uri("postgresql://u:secret@127.0.0.1:1/m", timeout=5)
    with pytest.raises(tracking.StoreError, match="unsupported tracking URI"):
        tracking.check_tracking_uri("ftp://somewhere/x")
    tracking.check_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")  # a new DB file is fine


def test_ui_url_opens_training_runs():
    assert tracking.ui_url() == (
        "http://127.0.0.1:5000/#/experiments?workflowType=machine_learning"
    )
    assert tracking.ui_url("http://h:5000/", "7").endswith("/#/experiments/7?workflowType="
                                                           "machine_learning")  # fmt: skip


def test_experiment_kind_and_description_set_on_new_and_existing(client):
    c, uri = client
    exp = tracking.ensure_experiment(c, "kind", uri, description="first")
    tags = c.get_experiment(exp).tags
    assert tags[tracking.EXPERIMENT_KIND_TAG] == "custom_model_development"
    assert tags[tracking.NOTE_TAG] == "first"
    c.delete_experiment_tag(exp, tracking.EXPERIMENT_KIND_TAG)
    assert tracking.ensure_experiment(c, "kind", uri) == exp  # the driver's call: no description
    tags = c.get_experiment(exp).tags
    assert tags[tracking.EXPERIMENT_KIND_TAG] == "custom_model_development"
    assert tags[tracking.NOTE_TAG] == "first"


def test_autolog_disabled_nests_and_restores():
    import mlflow
    from mlflow.utils import autologging_utils

    with tracking.autolog_disabled():
        with tracking.autolog_disabled():
            assert autologging_utils._AUTOLOGGING_GLOBALLY_DISABLED
        assert autologging_utils._AUTOLOGGING_GLOBALLY_DISABLED  # still off: the outer block
    assert not autologging_utils._AUTOLOGGING_GLOBALLY_DISABLED
    assert mlflow  # imported: the context manager acts only when mlflow is loaded


@pytest.mark.parametrize("how", ["file", "plain"])
def test_file_system_stores_are_refused_with_the_sqlite_uri_to_use(tmp_path: Path, how):
    uri = f"file://{tmp_path}/x" if how == "file" else str(tmp_path / "x")
    with pytest.raises(tracking.StoreError, match=r"file-system store.*sqlite:///"):
        tracking.check_tracking_uri(uri)


def test_a_sqlite_path_that_is_a_folder_is_named(tmp_path: Path):
    with pytest.raises(tracking.StoreError, match="is a folder; name the database file"):
        tracking.check_tracking_uri(f"sqlite:///{tmp_path}")


def test_a_read_only_store_is_refused_for_writing_only(tmp_path: Path, monkeypatch):
    import os

    db = tmp_path / "mlflow.db"
    db.touch()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: mode != os.W_OK and real(p, mode))
    with pytest.raises(tracking.StoreError, match="read-only here"):
        tracking.check_tracking_uri(f"sqlite:///{db}")
    tracking.check_tracking_uri(f"sqlite:///{db}", write=False)  # reading stays allowed
