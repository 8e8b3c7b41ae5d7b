"""``nnfs-lab replay``: a trial's curves and a parent's held-out scores reproduced exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_lab import cli, tracking
from nnfs_lab.sweeps import sweep
from nnfs_lab.sweeps.objective import SweepHooks
from nnfs_lab.sweeps.replay import replay_run

optuna = pytest.importorskip("optuna")


def _prune_trial_1(trial, record):
    if trial.number == 1 and record["epoch"] >= 3:
        raise optuna.TrialPruned("forced")


@pytest.fixture
def swept(tmp_cwd: Path, tiny_config):
    cfg = tiny_config("rep", n_trials=2, max_epochs=5, plots=False)
    (nnfs, mlp) = sweep([cfg], echo=lambda s: None, compare=False,
                        hooks=SweepHooks(on_epoch=_prune_trial_1))  # fmt: skip
    client = tracking.get_client(tracking.resolve_tracking_uri(None))
    return client, nnfs, mlp


def _trial_runs(client, result):
    where = tracking.tag_filter(role="trial", study=result.study_name)
    runs = tracking.search_all_runs(client, result.experiment_id, where)
    return {int(r.data.tags[tracking.TAG_TRIAL]): r for r in runs}


def test_replay_reproduces_trials_exactly(swept, capsys):
    client, nnfs, mlp = swept
    for result in (nnfs, mlp):
        runs = _trial_runs(client, result)
        complete = replay_run(runs[0].info.run_id, echo=lambda s: None)
        assert len(complete.rows) == 3 * 5 and complete.identical  # 3 curves x 5 epochs
        pruned = replay_run(runs[1].info.run_id, echo=lambda s: None)
        assert len(pruned.rows) == 3 * 3 and pruned.identical  # replayed up to the pruned step
    assert cli.main(["replay", _trial_runs(client, nnfs)[0].info.run_id]) == 0
    out = capsys.readouterr().out
    assert "val_loss" in out and "15 values, identical" in out


def test_replay_of_a_parent_repeats_the_held_out_evaluation(swept):
    client, nnfs, _ = swept
    result = replay_run(nnfs.parent_run_id, echo=lambda s: None)
    assert len(result.rows) == 2 * 2 and result.identical  # 2 folds x (accuracy, log loss)


def test_a_changed_value_is_reported(swept, monkeypatch, capsys):
    client, nnfs, _ = swept
    run_id = _trial_runs(client, nnfs)[0].info.run_id
    from nnfs_lab.sweeps import replay

    real = replay._replay_folds
    monkeypatch.setattr(replay, "_replay_folds",
                        lambda *a: {k: v + 1e-12 for k, v in real(*a).items()})  # fmt: skip
    assert cli.main(["replay", run_id]) == 1
    assert "differs" in capsys.readouterr().out


def test_replay_of_an_unknown_run(tmp_cwd: Path, capsys):
    tracking.get_client(tracking.resolve_tracking_uri(None)).search_experiments()
    assert cli.main(["replay", "0123456789abcdef"]) == 2
    assert "no run '0123456789abcdef'" in capsys.readouterr().err
