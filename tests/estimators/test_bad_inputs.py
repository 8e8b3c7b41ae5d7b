"""The estimator cases of issue 16 (item 10): a clear error naming the problem, or a finite,
valid result; never NaN/inf returned silently or a fit left with broken weights."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris

from nnfs_lab import NNFSClassifier, NNFSRegressor
from nnfs_lab.nn import DivergenceError

X, Y = load_iris(return_X_y=True)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_huge_inputs_give_finite_outputs_or_a_clear_error(sign):
    big = np.full((3, 4), 1.7e308 * sign)
    big[2, ::2] *= -1
    clf = NNFSClassifier(max_epochs=5, random_state=0).fit(X, Y)
    proba = clf.predict_proba(big)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)
    reg = NNFSRegressor(max_epochs=5, random_state=0).fit(X, Y * 1e150)
    with pytest.raises(ValueError, match="X contains values as large as"):
        reg.predict(big)  # outputs * target_scale_ overflow: an error, never inf


@pytest.mark.parametrize("classes, words", [([0, 1, 2, np.nan], "NaN"),
                                            ([[0, 1], [2, 3]], "1-D"),
                                            (["a", 1, 2], "Mix of label")])  # fmt: skip
def test_partial_fit_classes_are_checked(classes, words):
    with pytest.raises(ValueError, match=words):
        NNFSClassifier().partial_fit(X, Y, classes=np.array(classes, dtype=object))


def test_class_weight_all_zero_is_an_error():
    with pytest.raises(ValueError, match="class_weight"):
        NNFSClassifier(max_epochs=2, class_weight={0: 0, 1: 0, 2: 0}).fit(X, Y)


def test_huge_python_ints_are_floats_or_named_errors():
    clf = NNFSClassifier(max_epochs=2, learning_rate=10**30, random_state=0).fit(X, Y)
    assert np.all(np.isfinite(clf.predict_proba(X)))
    with pytest.raises(ValueError, match="'l2'"):
        NNFSClassifier(l2=10**400).fit(X, Y)


def test_mixed_labels_are_a_clear_error():
    with pytest.raises(ValueError, match="Mix of label input types"):
        NNFSClassifier(max_epochs=2).fit(X[:3], np.array(["a", 1, 2], dtype=object))


def test_divergence_from_the_data_names_the_data():
    with pytest.raises(DivergenceError, match="X contains values as large as"):
        NNFSRegressor(max_epochs=3, random_state=0).fit(X * 1e300, Y)
    y = np.array([*Y[:-1], None], dtype=object)
    with pytest.raises(ValueError, match="y contains NaN, infinity or None"):
        NNFSRegressor(max_epochs=3).fit(X, y)
    with pytest.raises(ValueError, match="y must hold numbers"):
        NNFSRegressor(max_epochs=3).fit(X, np.array([*Y[:-1], "x"], dtype=object))


def test_validation_data_as_a_dict_is_a_clear_error():
    with pytest.raises(ValueError, match="validation_data must be a tuple"):
        NNFSClassifier(max_epochs=2).fit(X, Y, validation_data={"X": X, "y": Y})


def test_a_network_too_large_names_hidden_layer_sizes():
    with pytest.raises(ValueError, match="'hidden_layer_sizes'"):
        NNFSClassifier(hidden_layer_sizes=10**12).fit(X, Y)


def test_diverging_regressor_with_validation_data_is_unfitted():
    kw = dict(hidden_layer_sizes=100, activation="identity", optimizer="sgd", learning_rate=1,
              max_epochs=20, random_state=0)  # fmt: skip
    est = NNFSRegressor(**kw)
    with pytest.raises(DivergenceError):
        est.fit(X, Y, validation_data=(X, Y))
    assert not hasattr(est, "model_")
    # early_stopping: MLP's behaviour, the best epoch's (finite) weights come back.
    est = NNFSRegressor(**kw, early_stopping=True).fit(X, Y)
    assert np.all(np.isfinite(est.predict(X)))
