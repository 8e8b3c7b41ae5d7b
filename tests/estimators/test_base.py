"""The shared fitting machinery: reproducibility, partial_fit, warm start, weights, divergence."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from nnfs_lab import NNFSRegressor
from nnfs_lab.nn import SGD, Adam, DivergenceError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_same_random_state_is_bit_identical(blobs, small):
    X, y = blobs
    kw = dict(dropout=0.2, early_stopping=True, max_epochs=15)
    a, b = small(**kw).fit(X, y), small(**kw).fit(X, y)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = small(random_state=1, **kw).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_partial_fit_epochs_equal_fit_epochs(blobs, small):
    X, y = blobs
    full = small(max_epochs=4, n_iter_no_change=100).fit(X, y)
    inc = small()
    for _ in range(4):
        inc.partial_fit(X, y, classes=np.unique(y))
    assert inc.n_iter_ == 4 and len(inc.history_) == 4
    np.testing.assert_array_equal(full.coefs_[0], inc.coefs_[0])


def test_warm_start_keeps_optimizer_state(blobs, small):
    """Two warm-started fits of 3 epochs equal one fit of 6 (MLPClassifier resets Adam).

    ``n_iter_`` counts the epochs of the last fit (as MLP's); ``history_`` keeps all six."""
    X, y = blobs
    six = small(max_epochs=6, n_iter_no_change=100).fit(X, y)
    warm = small(max_epochs=3, n_iter_no_change=100, warm_start=True).fit(X, y)
    steps = warm.model_.optimizer.iterations
    warm.fit(X, y)
    assert warm.model_.optimizer.iterations == 2 * steps
    assert warm.n_iter_ == 3 and [r["epoch"] for r in warm.history_] == [1, 2, 3, 4, 5, 6]
    np.testing.assert_array_equal(six.coefs_[0], warm.coefs_[0])
    # A changed learning rate reaches the live optimizer; a changed architecture is refused.
    warm.set_params(learning_rate=0.5).fit(X, y)
    assert warm.model_.optimizer.learning_rate == 0.5
    with pytest.raises(ValueError, match="architecture"):
        warm.set_params(hidden_layer_sizes=(8,)).fit(X, y)


def test_warm_start_optimizer_switch_keeps_weights_and_starts_fresh(blobs, small):
    """Documented: a different ``optimizer`` keeps the weights and starts with fresh state."""
    X, y = blobs
    kw = dict(max_epochs=3, n_iter_no_change=100, warm_start=True, batch_size=300)
    warm = small(**kw).fit(X, y)
    assert isinstance(warm.model_.optimizer, Adam)
    # The expected continuation: the same network and generator, a brand-new SGD, 3 epochs.
    ref = copy.deepcopy(warm.model_)
    ref.set(optimizer=SGD(0.01, momentum=0.9)).finalize()
    X_ref, y_ref = ref.prepare(X, y)
    for _ in range(3):
        ref.train_epoch(X_ref, y_ref, batch_size=300)

    warm.set_params(optimizer="sgd").fit(X, y)
    assert isinstance(warm.model_.optimizer, SGD)
    assert warm.model_.optimizer.iterations == 3  # fresh: counts this fit's steps only
    assert warm.n_iter_ == 3 and len(warm.history_) == 6
    for got, want in zip(warm.model_.get_parameters(), ref.get_parameters()):
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    # Switching back gives a fresh Adam too (its moments from the first fit are gone).
    warm.set_params(optimizer="adam").fit(X, y)
    assert isinstance(warm.model_.optimizer, Adam)
    assert warm.model_.optimizer.iterations == 3


def test_l1_l2_regularization_loss_reported(blobs, small):
    est = small(l1=1e-3, l2=1e-3, max_epochs=3).fit(*blobs)
    rec = est.history_[-1]
    assert rec["regularization_loss"] > 0
    assert rec["loss"] == pytest.approx(rec["data_loss"] + rec["regularization_loss"])


def test_decay_lowers_learning_rate(blobs, small):
    est = small(decay=1e-2, learning_rate=0.1, max_epochs=3).fit(*blobs)
    lrs = [r["learning_rate"] for r in est.history_]
    assert lrs[0] < 0.1 and lrs[0] > lrs[1] > lrs[2]


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.ones((300, 1)), "1D array or scalar"),
        (np.ones(7), r"sample_weight.shape == \(7,\)"),
        (np.zeros(300), "at least one non-zero"),
        (-np.ones(300), "non-negative"),
    ],
)
def test_bad_sample_weight_rejected(blobs, small, weights, match):
    with pytest.raises(ValueError, match=match):
        small().fit(*blobs, sample_weight=weights)


def test_scalar_sample_weight_is_uniform(blobs, small):
    X, y = blobs
    np.testing.assert_array_equal(
        small().fit(X, y, sample_weight=2.0).coefs_[0], small().fit(X, y).coefs_[0]
    )


def test_validation_data_must_be_a_pair(blobs, small):
    with pytest.raises(ValueError, match="tuple"):
        small().fit(*blobs, validation_data=blobs[0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_raises_and_leaves_no_nan_model(blobs, small):
    X, y = blobs
    est = small(optimizer="sgd", learning_rate=1e12, momentum=0.0, max_epochs=50)
    with pytest.raises(DivergenceError, match="learning rate"):
        est.fit(X * 1e3, y)
    with pytest.raises(NotFittedError):
        est.predict(X)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_is_a_value_error_and_never_leaves_nan_weights(blobs, small):
    """Without early stopping a diverged fit raises (a ValueError too), with or without
    validation data; with it, the best epoch's finite weights come back, as in MLP."""
    X, y = blobs
    kw = dict(optimizer="sgd", learning_rate=1e12, momentum=0.0, max_epochs=50)
    for extra in ({}, {"validation_data": (X[:50], y[:50])}):
        est = small(**kw)
        with pytest.raises(ValueError):
            est.fit(X * 1e3, y, **extra)
        assert not hasattr(est, "model_")
    X, y = load_iris(return_X_y=True)  # MLP's own case (test_mlp_diverging_loss)
    reg = NNFSRegressor(100, "identity", optimizer="sgd", learning_rate=1.0, max_epochs=20,
                        early_stopping=True, random_state=0)  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="restored the weights of the best epoch"):
        reg.fit(X, y)
    assert np.isnan(reg.validation_scores_[-1]) and np.isfinite(reg.predict(X)).all()
    assert len(reg.history_) == reg.n_iter_ == len(reg.loss_curve_)


def test_tiny_validation_set_is_an_error_not_nan_epochs(small):
    X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="validation set is too small"):
        small(cls=NNFSRegressor, early_stopping=True, validation_fraction=0.2).fit(X, y * 1.0)
    with pytest.raises(ValueError, match="validation set is too small"):
        small(cls=NNFSRegressor).fit(X, y * 1.0, validation_data=(X[:1], y[:1] * 1.0))


def test_n_iter_no_change_inf_and_best_loss_under_early_stopping(blobs, small):
    X, y = blobs
    est = small(n_iter_no_change=np.inf, tol=1e9, max_epochs=7).fit(X, y)
    assert est.n_iter_ == 7 and est.best_loss_ == min(est.loss_curve_)
    es = small(early_stopping=True, max_epochs=7).fit(X, y)
    assert es.best_loss_ is None and es.best_validation_score_ == max(es.validation_scores_)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        es.partial_fit(X, y)
