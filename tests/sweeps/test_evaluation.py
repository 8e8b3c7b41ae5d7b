"""The verdict's data: paired held-out folds, and a diverging fit recorded, not fatal."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab.sweeps import load_experiment
from nnfs_lab.sweeps.data import prepare_data
from nnfs_lab.sweeps.evaluation import evaluate_family, outer_folds, refit_on_development


@pytest.fixture
def cfg(tiny_config):
    return load_experiment(tiny_config("ev", max_epochs=4))


def test_outer_folds_cover_the_held_out_set_once_per_repeat(cfg):
    data = prepare_data(cfg)
    folds = outer_folds(cfg, data)
    assert [(f.repeat, f.fold) for f in folds] == [(0, 0), (0, 1)]
    assert len({f.seed for f in folds}) == len(folds)  # the initialization varies by fold
    covered = np.sort(np.concatenate([f.test for f in folds]))
    assert np.array_equal(covered, np.arange(len(data.y_test)))
    assert outer_folds(cfg, data)[1].test.tolist() == folds[1].test.tolist()  # deterministic


def test_families_pair_up_fold_by_fold(cfg):
    data = prepare_data(cfg)
    a = evaluate_family(cfg, "nnfs", {"hidden_layer_sizes": (8,), "batch_size": 16}, data)
    b = evaluate_family(cfg, "mlp", {"hidden_layer_sizes": (8,), "batch_size": 16}, data)
    keys = ["repeat", "fold", "seed", "n_train", "n_test"]
    assert a[keys].equals(b[keys])
    assert set(a["status"]) == {"COMPLETE"} and (a["n_epochs"] == 4).all()
    assert (b["n_epochs"] == 4).all()  # the same epochs for every family
    assert a["n_train"].iloc[0] == len(data.y_train) + len(outer_folds(cfg, data)[0].train)


def test_a_diverging_fit_is_a_failed_row(cfg, monkeypatch):
    from nnfs_lab.nn import DivergenceError
    from nnfs_lab.sweeps.families import get_family

    fam = get_family("nnfs")
    real = fam.fit_epochs
    calls = []

    def diverge_on_second_fold(est, X, y):
        calls.append(1)
        if len(calls) == 2:
            raise DivergenceError("the loss became nan at step 3")
        return real(est, X, y)

    monkeypatch.setattr(fam, "fit_epochs", diverge_on_second_fold)
    scores = evaluate_family(cfg, "nnfs", {"hidden_layer_sizes": (8,)}, prepare_data(cfg))
    assert scores["status"].tolist() == ["COMPLETE", "FAILED"]
    assert np.isnan(scores["test_accuracy"].iloc[1])
    assert "DivergenceError: the loss became nan" in scores["error"].iloc[1]


def test_the_shipped_model_is_refit_on_all_development_data(cfg):
    data = prepare_data(cfg)
    epochs = []
    model = refit_on_development(cfg, "nnfs", {"hidden_layer_sizes": (8,)}, data,
                                 on_epoch=lambda est, rec: epochs.append(rec["epoch"]))  # fmt: skip
    assert epochs == [1, 2, 3, 4]
    assert model.predict(data.X_test).shape == data.y_test.shape


def test_a_stopping_rule_ends_held_out_fits_and_the_refit_alike(cfg):
    # min_delta larger than any loss: no epoch after the first improves, so patience 1 stops
    # every fit after its second epoch, on an inner validation split of its training data.
    from dataclasses import replace

    from nnfs_lab.sweeps.config import ProtocolConfig

    ruled = replace(cfg, protocol=ProtocolConfig(stopping="val_loss", patience=1, min_delta=10.0))
    data = prepare_data(ruled)
    for family in ("nnfs", "mlp"):
        scores = evaluate_family(ruled, family, {"hidden_layer_sizes": (8,), "batch_size": 16},
                                 data)  # fmt: skip
        assert set(scores["status"]) == {"COMPLETE"}
        assert (scores["n_epochs"] == 2).all(), family
    epochs = []
    refit_on_development(ruled, "nnfs", {"hidden_layer_sizes": (8,)}, data,
                         on_epoch=lambda est, rec: epochs.append(rec["epoch"]))  # fmt: skip
    assert epochs == [1, 2]
