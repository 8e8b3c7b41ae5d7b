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


def test_curves_are_thinned_per_fold_keeping_the_last_epoch():
    from nnfs_lab.sweeps.objective import curve_history

    history = [{"step": f * 250 + e, "fold": f, "epoch": e, "train_loss": 1.0 / e,
                "val_loss": 1.0, "val_accuracy": 0.5, "learning_rate": 0.01, "seconds": 0.1}
               for f in (0, 1) for e in range(1, 251)]  # fmt: skip
    curves = curve_history(history, max_points=100)
    steps = [c["step"] for c in curves]
    assert len(steps) <= 2 * 101 and 250 in steps and 500 in steps  # each fold's last epoch
    assert all(set(c) == {"step", "train_loss", "val_loss", "val_accuracy"} for c in curves)
    decayed = [{**h, "learning_rate": 1.0 / h["epoch"]} for h in history[:3]]
    assert "learning_rate" in curve_history(decayed)[0]  # logged only when it changes
