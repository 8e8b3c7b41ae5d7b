"""Every family under the same protocol: same epochs, same metric definitions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss

from nnfs_lab.sweeps.config import ProtocolConfig
from nnfs_lab.sweeps.families import FAMILIES, get_family
from nnfs_lab.sweeps.protocol import VAL_LOSS, EpochProtocol, StoppingRule

PARAMS = {"nnfs": {"hidden_layer_sizes": (8,), "batch_size": 16},
          "mlp": {"hidden_layer_sizes": (8,), "batch_size": 16}}  # fmt: skip


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X[:60], y[:60], X[60:], y[60:]


@pytest.mark.parametrize("name", list(FAMILIES))
def test_val_loss_is_sklearn_log_loss_and_epochs_are_the_budget(name):
    X, y, X_val, y_val = _data()
    fam = get_family(name)
    est = fam.build(PARAMS[name], seed=0, max_epochs=7)
    protocol = EpochProtocol(X_val, y_val, StoppingRule(ProtocolConfig(stopping="none")))
    assert fam.train(est, X, y, on_epoch=protocol) == 7  # no stopping of its own
    assert [r["epoch"] for r in protocol.history] == list(range(1, 8))
    expected = log_loss(y_val, est.predict_proba(X_val), labels=est.classes_)
    assert protocol.history[-1][VAL_LOSS] == pytest.approx(expected, rel=1e-12)
    assert {"train_loss", "learning_rate", "seconds"} <= set(protocol.history[-1])


@pytest.mark.parametrize("name", list(FAMILIES))
def test_fit_epochs_runs_exactly_the_budget(name):
    X, y, _, _ = _data()
    fam = get_family(name)
    # A plateau after 1 epoch would stop an estimator's own rule at once; the sweep's never.
    params = {**PARAMS[name], "learning_rate" if name == "nnfs" else "learning_rate_init": 1e-9}
    assert fam.fit_epochs(fam.build(params, seed=0, max_epochs=30), X, y) == 30


@pytest.mark.parametrize("name", list(FAMILIES))
def test_the_protocol_stops_every_family_alike(name):
    X, y, X_val, y_val = _data()
    fam = get_family(name)
    rule = StoppingRule(ProtocolConfig(stopping="val_loss", patience=1, min_delta=10.0))
    protocol = EpochProtocol(X_val, y_val, rule)
    # min_delta = 10: epoch 1 improves on infinity, epoch 2 cannot: stop after 2 epochs.
    assert fam.train(fam.build(PARAMS[name], seed=0, max_epochs=50), X, y, on_epoch=protocol) == 2


def test_stopping_parameters_are_reserved_for_every_family():
    for fam in FAMILIES.values():
        assert {"random_state", "early_stopping", "tol", "n_iter_no_change"} <= fam.reserved


def test_mlp_trains_exactly_as_a_plain_partial_fit_loop_and_still_checks_its_input():
    import sklearn
    from sklearn.neural_network import MLPClassifier

    X, y, _, _ = _data()
    fam = get_family("mlp")
    est = fam.build(PARAMS["mlp"], seed=0, max_epochs=9)
    seen = []
    fam.train(est, X, y, on_epoch=lambda e, r: seen.append(sklearn.get_config()) and False)
    plain = MLPClassifier(**PARAMS["mlp"], max_iter=9, random_state=0, n_iter_no_change=10)
    for _ in range(9):
        plain.partial_fit(X, y, classes=np.unique(y))
    for a, b in zip(est.coefs_ + est.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(a, b)
    # The switches hold only inside the epoch's partial_fit, never around the caller's hook.
    assert not any(c["assume_finite"] or c["skip_parameter_validation"] for c in seen)
    bad = X.copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fam.train(fam.build(PARAMS["mlp"], seed=0, max_epochs=3), bad, y,
                  on_epoch=lambda e, r: False)  # fmt: skip
