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


def test_history_metrics_skips_non_finite():
    hist = [
        {"epoch": 1, "loss": 1.0, "val_loss": float("nan"), "note": "x"},
        {"epoch": 2, "loss": 0.5, "val_loss": 0.7, "step": 12},
    ]
    assert tracking.history_metrics(hist) == [
        ("loss", 1.0, 1),
        ("loss", 0.5, 12),
        ("val_loss", 0.7, 12),
    ]


def test_log_batch_chunked_over_mlflow_limits(client):
    c, uri = client
    exp = tracking.ensure_experiment(c, "t", uri)
    run = c.create_run(exp)
    metrics = [("m", float(i), i) for i in range(2500)]
    params = {f"p{i}": i for i in range(150)}
    tags = {f"t{i}": i for i in range(120)}
    tracking.log_batch_chunked(c, run.info.run_id, metrics=metrics, params=params, tags=tags)
    data = c.get_run(run.info.run_id).data
    assert len(c.get_metric_history(run.info.run_id, "m")) == 2500
    assert len(data.params) == 150 and all(f"t{i}" in data.tags for i in range(120))


def test_parent_run_refound_and_trial_runs(client):
    c, uri = client
    exp = tracking.ensure_experiment(c, "t", uri)
    assert tracking.ensure_experiment(c, "t", uri) == exp
    # Artifacts are pinned beside the DB, not wherever the process happens to run.
    assert c.get_experiment(exp).artifact_location.startswith((Path.cwd() / "mlruns").as_uri())
    kw = dict(study_name="t-mlp", family="mlp", params={"a": 1}, tags={"x": "1"})
    parent = tracking.ensure_parent_run(c, exp, **kw)
    c.set_terminated(parent, "FINISHED")
    assert tracking.ensure_parent_run(c, exp, **kw) == parent
    assert c.get_run(parent).info.status == "RUNNING"

    rid = tracking.start_trial_run(
        c, exp, parent, study_name="t-mlp", family="mlp", trial_number=0, params={"lr": 0.1}
    )
    hist = [{"epoch": e, "loss": 1.0 / e} for e in range(1, 4)]
    tracking.finish_trial_run(c, rid, state="PRUNED", history=hist, final_metrics={"v": 0.5})
    run = c.get_run(rid)
    assert run.info.status == "KILLED"
    assert run.data.tags[tracking.TAG_STATE] == "PRUNED"
    assert run.data.tags["mlflow.parentRunId"] == parent
    assert [m.step for m in c.get_metric_history(rid, "loss")] == [1, 2, 3]

    # A trial that died with its worker: an existing RUNNING run and a missing one both end FAILED.
    tracking.start_trial_run(
        c, exp, parent, study_name="t-mlp", family="mlp", trial_number=1, params={}
    )
    tracking.fail_trial_runs(
        c, exp, parent, study_name="t-mlp", family="mlp", trial_numbers=[1, 2], reason="test"
    )
    counts = tracking.trial_state_counts(c, exp, "t-mlp")
    assert counts == {"PRUNED": 1, "LOST": 2}
    assert tracking.metric_values(c, rid, "loss") == {1: 1.0, 2: 0.5, 3: 1 / 3}


def test_ui_command():
    cmd = tracking.ui_command("sqlite:////a/mlflow.db")
    assert cmd[:4] == ["mlflow", "ui", "--backend-store-uri", "sqlite:////a/mlflow.db"]
    assert "--host" in cmd and "127.0.0.1" in cmd and "5000" in cmd


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
