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


def test_curves_keep_the_curve_points_of_each_fold_and_its_last_epoch(tmp_cwd: Path, tiny_config):
    from nnfs_lab.sweeps.objective import MAX_CURVE_POINTS, curve_history, is_curve_point

    cfg = load_experiment(tiny_config("curves", max_epochs=250, plots=False))
    history = [{"step": f * 250 + e, "fold": f, "epoch": e, "train_loss": 1.0 / e,
                "val_loss": 1.0, "val_accuracy": 0.5, "learning_rate": 0.01, "seconds": 0.1}
               for f in (0, 1) for e in range(1, 251)]  # fmt: skip
    history = history[:300]  # fold 1 ends at its epoch 50 (pruned, say)
    curves = curve_history(history, cfg)
    steps = [c["step"] for c in curves]
    stride = -(-250 // MAX_CURVE_POINTS)  # 7
    fold0 = [1] + list(range(stride, 251, stride)) + [250]
    fold1 = [250 + e for e in [1] + list(range(stride, 50, stride)) + [50]]
    assert steps == fold0 + fold1
    assert all(is_curve_point(cfg, s, s) for s in fold0[:-1])
    assert all(set(c) == {"step", "train_loss", "val_loss", "val_accuracy"} for c in curves)
    decayed = [{**h, "learning_rate": 1.0 / h["epoch"]} for h in history[:3]]
    assert "learning_rate" in curve_history(decayed, cfg)[0]  # logged only when it changes


def _one_trial(cfg, family: str):
    uri = tracking.resolve_tracking_uri(None)
    client = tracking.get_client(uri)
    exp = tracking.ensure_experiment(client, cfg.name, uri)
    parent = tracking.ensure_parent_run(client, exp, study_name=f"{cfg.name}-{family}",
                                        family=family, params={}, tags={})  # fmt: skip
    ctx = TrialContext(cfg=cfg, family=family, client=client, experiment_id=exp,
                       parent_run_id=parent)  # fmt: skip
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    study.optimize(make_objective(ctx, prepare_data(cfg)), n_trials=1)
    (trial,) = study.trials
    run_id = trial.user_attrs[ATTR_RUN_ID]
    return trial, [m.step for m in client.get_metric_history(run_id, "val_loss") if m.step >= 1]


@pytest.mark.parametrize("family", ["nnfs", "mlp"])
def test_validation_is_scored_at_curve_points_only_and_the_value_does_not_change(
    tmp_cwd: Path, tiny_config, family, monkeypatch
):
    import nnfs_lab.sweeps.objective as objective

    cfg = load_experiment(tiny_config("thin", max_epochs=13, plots=False))
    scored = []
    real = objective.EpochProtocol._score

    def spy(self, est, record):
        scored.append(record["epoch"])
        real(self, est, record)

    monkeypatch.setattr(objective.EpochProtocol, "_score", spy)
    every, every_steps = _one_trial(cfg, family)  # 13 epochs <= 40 points: all of them
    assert sorted(every_steps) == list(range(1, 14)) and scored == list(range(1, 14))
    scored.clear()
    monkeypatch.setattr(objective, "MAX_CURVE_POINTS", 3)  # stride 5: epochs 1, 5, 10, 13
    thin, thin_steps = _one_trial(load_experiment(tiny_config("thin2", max_epochs=13,
                                                              plots=False)), family)  # fmt: skip
    assert sorted(thin_steps) == [1, 5, 10, 13] and scored == [1, 5, 10, 13]
    assert thin.value == every.value  # scoring fewer epochs changes no trained weight
