"""The parent run's summary pieces: recorded splits, parameters, the trials table."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab.sweeps import load_experiment
from nnfs_lab.sweeps.data import prepare_data
from nnfs_lab.sweeps.parent_artifacts import trials_table
from nnfs_lab.sweeps.shipping import split_datasets
from nnfs_lab.sweeps.summary import parent_params


def test_split_datasets_holdout(tiny_config):
    cfg = load_experiment(tiny_config())
    data = prepare_data(cfg)
    splits = split_datasets(cfg, data)
    assert list(splits) == ["train", "validation", "test"]
    X_va, y_va = splits["validation"]
    assert len(X_va) == len(data.folds[0][1]) and len(y_va) == len(X_va)
    np.testing.assert_array_equal(splits["test"][0], data.X_test)


def test_split_datasets_cv_has_no_single_validation_set(tiny_config, tmp_path):
    path = tiny_config()
    path.write_text(path.read_text().replace("validation = 0.25", "cv = 2"))
    cfg = load_experiment(path)
    assert list(split_datasets(cfg, prepare_data(cfg))) == ["train", "test"]


def test_split_digests_are_reproducible(tiny_config):
    from nnfs_lab import tracking

    cfg = load_experiment(tiny_config())
    digests = [
        [i.dataset.digest for i in tracking.split_inputs(split_datasets(cfg, prepare_data(cfg)),
                                                         prefix=cfg.name, source={})]
        for _ in range(2)
    ]  # fmt: skip
    assert digests[0] == digests[1] and len(set(digests[0])) == 3


def test_parent_params_describe_protocol_and_space(tiny_config):
    cfg = load_experiment(tiny_config())
    params = parent_params(cfg, cfg.model("nnfs"))
    assert params["dataset"] == "spiral" and params["max_epochs"] == 6
    assert params["space.learning_rate"].startswith("float[")


def test_trials_table_durations_are_seconds():
    optuna = pytest.importorskip("optuna")
    study = optuna.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    df = trials_table(study)
    assert "duration_seconds" in df and df["duration_seconds"].dtype.kind == "f"
