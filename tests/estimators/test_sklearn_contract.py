"""The scikit-learn contract: the official checks, pipelines, searches, clone and pickle."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from nnfs_lab import NNFSClassifier, NNFSRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@parametrize_with_checks([NNFSClassifier(), NNFSRegressor()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_public_import_paths():
    import nnfs_lab
    import nnfs_lab.estimators as estimators

    assert estimators.__all__ == ["NNFSClassifier", "NNFSRegressor", "check_param"]
    assert nnfs_lab.NNFSClassifier is estimators.NNFSClassifier
    assert nnfs_lab.NNFSRegressor is estimators.NNFSRegressor
    assert NNFSClassifier.__module__ == NNFSRegressor.__module__ == "nnfs_lab.estimators"


def test_pipeline_gridsearch_cross_val_clone_pickle(blobs, small):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), small(max_epochs=20))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.5)

    grid = GridSearchCV(
        pipe,
        {"nnfsclassifier__learning_rate": [1e-3, 1e-2], "nnfsclassifier__l2": [0.0, 1e-4]},
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert set(grid.best_params_) == {"nnfsclassifier__learning_rate", "nnfsclassifier__l2"}
    assert grid.best_estimator_.score(X, y) > 0.5

    est = pipe.fit(X, y)
    twin = clone(est)
    assert twin.get_params()["nnfsclassifier__max_epochs"] == 20
    assert not hasattr(twin[-1], "model_")
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_digits_accuracy_matches_mlpclassifier():
    """Same architecture, epochs, batch size and seeds: mean test accuracy within one point."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    ours, theirs = [], []
    for seed in range(3):
        nnfs = NNFSClassifier((100,), max_epochs=50, n_iter_no_change=50, random_state=seed)
        mlp = MLPClassifier((100,), max_iter=50, n_iter_no_change=50, random_state=seed)
        ours.append(make_pipeline(StandardScaler(), nnfs).fit(X_tr, y_tr).score(X_te, y_te))
        theirs.append(make_pipeline(StandardScaler(), mlp).fit(X_tr, y_tr).score(X_te, y_te))
    assert np.mean(ours) >= np.mean(theirs) - 0.01, (ours, theirs)
    assert np.mean(ours) > 0.95
