from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_lab import tracking

pytest.importorskip("mlflow")


@pytest.fixture
def client(tmp_cwd: Path):
    uri = tracking.resolve_tracking_uri(None)
    return tracking.get_client(uri), uri


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
