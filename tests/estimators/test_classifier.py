"""NNFSClassifier: binary, multiclass and multilabel targets, class weights, optimizers, dtypes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification

from nnfs_lab import NNFSClassifier
from nnfs_lab.datasets import spiral

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_binary_string_labels_and_probabilities(small):
    X, y = make_classification(n_samples=200, n_features=5, random_state=1)
    labels = np.array(["no", "yes"])[y]
    est = small(max_epochs=30).fit(X, labels)
    assert est.classes_.tolist() == ["no", "yes"]
    proba = est.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(proba))
    assert set(est.predict(X)) <= {"no", "yes"}
    assert est.coefs_[-1].shape == (16, 1)  # one sigmoid unit for two classes


def test_multiclass_proba_and_labels(blobs, small):
    X, y = blobs
    est = small(max_epochs=30).fit(X, y + 10)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])
    assert est.score(X, y + 10) > 0.7


def test_multilabel_indicator_targets(small):
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    est = small(max_epochs=60, learning_rate=0.01).fit(X, Y)
    assert est.predict(X).shape == (200, 4)
    assert set(np.unique(est.predict(X))) <= {0, 1}
    assert est.predict_proba(X).shape == (200, 4)
    assert est.score(X, Y) > 0.4  # subset accuracy


def test_single_class_is_predicted_as_mlp_does(blobs, small):
    """MLPClassifier fits a one-class ``y`` and always predicts that class; so does NNFS."""
    X, _ = blobs
    est = small().fit(X, np.full(len(X), "only"))
    assert est.classes_.tolist() == ["only"]
    assert set(est.predict(X)) == {"only"} and est.score(X, np.full(len(X), "only")) == 1.0
    np.testing.assert_array_equal(est.predict_proba(X[:3]), np.ones((3, 1)))
    assert np.isfinite(est.loss_curve_).all() and est.loss_curve_[-1] < est.loss_curve_[0]


def test_unseen_labels_and_changed_classes_rejected(blobs, small):
    X, y = blobs
    est = small().partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"labels \[7\]"):
        est.partial_fit(X[:5], [0, 1, 2, 7, 0])
    with pytest.raises(ValueError, match="classes must be passed"):
        small().partial_fit(X, y)
    with pytest.raises(ValueError, match="not the same as on the first call"):
        est.partial_fit(X, y, classes=[0, 1, 3])
    est.partial_fit(X, y, classes=[2, 1, 0])  # the same set, in any order
    warm = small(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        warm.fit(X, y % 2)


def test_class_weight_shifts_predictions(small):
    X, y = make_classification(
        n_samples=400, n_features=4, weights=[0.9, 0.1], class_sep=0.3, random_state=0
    )
    plain = small(max_epochs=50).fit(X, y)
    balanced = small(max_epochs=50, class_weight="balanced").fit(X, y)
    assert (balanced.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()
    with pytest.raises(ValueError, match=r"not in classes_"):
        small(class_weight={5: 2.0}).fit(X, y)


def test_class_weight_dict_equals_sample_weight(blobs, small):
    X, y = blobs
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = small(class_weight=weights).fit(X, y)
    by_sample = small().fit(X, y, sample_weight=np.array([weights[c] for c in y]))
    np.testing.assert_array_equal(by_class.coefs_[0], by_sample.coefs_[0])


def test_balanced_class_weight_refused_by_partial_fit(blobs, small):
    with pytest.raises(ValueError, match="partial_fit"):
        small(class_weight="balanced").partial_fit(*blobs, classes=[0, 1, 2])


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rmsprop", "adam"])
def test_every_optimizer_learns_spiral(optimizer):
    X, y = spiral(100, 3, random_state=0)
    lr = {"sgd": 0.1, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.01}[optimizer]
    est = NNFSClassifier(
        (64,),
        optimizer=optimizer,
        learning_rate=lr,
        max_epochs=300,
        batch_size=32,
        random_state=0,
    ).fit(X, y)
    assert est.score(X, y) > 0.6


def test_auto_dtype_follows_x_and_warm_start_keeps_the_network_dtype(blobs, small):
    X, y = blobs
    est = small(warm_start=True).fit(X.astype(np.float32), y)
    assert all(w.dtype == np.float32 for w in est.coefs_ + est.intercepts_)
    est.fit(X.astype(np.float64), y)  # warm start: the float32 network continues
    assert all(w.dtype == np.float32 for w in est.coefs_)
    assert small().fit(X.astype(np.int64), y).coefs_[0].dtype == np.float64
    assert small(dtype="float64").fit(X.astype(np.float32), y).coefs_[0].dtype == np.float64
    with pytest.raises(ValueError, match="cannot change the network's architecture"):
        est.set_params(dtype="float64").fit(X, y)


def test_float32_end_to_end(blobs, small):
    X, y = blobs
    est = small(dtype="float32").fit(X, y)
    assert all(w.dtype == np.float32 for w in est.coefs_ + est.intercepts_)
    assert est.predict_proba(X).dtype == np.float32
