"""The objective on its own: one trial, its value, its MLflow run and its attributes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_lab import tracking
from nnfs_lab.sweeps import load_experiment
from nnfs_lab.sweeps.attrs import ATTR_FIT_SECONDS, ATTR_RUN_ID
from nnfs_lab.sweeps.data import prepare_data
from nnfs_lab.sweeps.objective import TrialContext, make_objective

optuna = pytest.importorskip("optuna")


@pytest.mark.parametrize("family", ["nnfs", "mlp"])
def test_objective_logs_one_finished_run_per_trial(tmp_cwd: Path, tiny_config, family):
    cfg = load_experiment(tiny_config("obj", max_epochs=4, plots=False))
    uri = tracking.resolve_tracking_uri(None)
    client = tracking.get_client(uri)
    exp = tracking.ensure_experiment(client, cfg.name, uri)
    parent = tracking.ensure_parent_run(client, exp, study_name=f"obj-{family}", family=family,
                                        params={}, tags={})  # fmt: skip
    ctx = TrialContext(cfg=cfg, family=family, client=client, experiment_id=exp,
                       parent_run_id=parent)  # fmt: skip
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    study.optimize(make_objective(ctx, prepare_data(cfg)), n_trials=2)
    for trial in study.trials:
        assert trial.state.name == "COMPLETE"
        run = client.get_run(trial.user_attrs[ATTR_RUN_ID])
        assert run.info.status == "FINISHED"
        assert run.data.tags[tracking.TAG_PARENT] == parent
        m = run.data.metrics
        assert m["val_accuracy_mean"] == pytest.approx(trial.value)
        assert m["n_epochs"] == 4  # no pruner, no stopping rule hit in 4 epochs
        assert 0 < trial.user_attrs[ATTR_FIT_SECONDS] <= m["trial_seconds"]
        assert len(client.get_metric_history(run.info.run_id, "val_loss")) == 4


def test_a_failing_trial_ends_its_run_failed_with_the_error(tmp_cwd: Path, tiny_config):
    from nnfs_lab.sweeps.objective import SweepHooks

    cfg = load_experiment(tiny_config("objfail", max_epochs=2, plots=False))
    uri = tracking.resolve_tracking_uri(None)
    client = tracking.get_client(uri)
    exp = tracking.ensure_experiment(client, cfg.name, uri)
    parent = tracking.ensure_parent_run(client, exp, study_name="objfail-nnfs", family="nnfs",
                                        params={}, tags={})  # fmt: skip

    def boom(trial, params):
        raise RuntimeError("boom")

    ctx = TrialContext(cfg=cfg, family="nnfs", client=client, experiment_id=exp,
                       parent_run_id=parent, hooks=SweepHooks(before_trial=boom))  # fmt: skip
    study = optuna.create_study(direction="maximize")
    study.optimize(make_objective(ctx, prepare_data(cfg)), n_trials=1, catch=(RuntimeError,))
    (trial,) = study.trials
    run = client.get_run(trial.user_attrs[ATTR_RUN_ID])
    assert trial.state.name == "FAIL" and run.info.status == "FAILED"
    assert "RuntimeError: boom" in run.data.tags["nnfs_lab.error"]
    assert trial.user_attrs[ATTR_FIT_SECONDS] == 0.0
