"""NNFSRegressor: single and multi-output targets, both losses, R^2 as the score."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import r2_score

from nnfs_lab import NNFSRegressor
from nnfs_lab.nn import MeanAbsoluteError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5], np.sin(X[:, 0])])
    return X, Y


def test_regressor_single_and_multi_output(regression, small):
    X, Y = regression
    reg = small(NNFSRegressor, hidden_layer_sizes=(32,), max_epochs=200, learning_rate=0.01)
    assert reg.fit(X, Y).predict(X).shape == (300, 2)
    assert reg.score(X, Y) > 0.9
    assert reg.fit(X, Y[:, 0]).predict(X).shape == (300,)
    mae = small(NNFSRegressor, loss="absolute_error", max_epochs=200, learning_rate=0.01)
    assert mae.fit(X, Y[:, 0]).score(X, Y[:, 0]) > 0.9
    assert isinstance(mae.model_.loss, MeanAbsoluteError)


def test_validation_score_is_sklearn_r2(regression, small):
    X, Y = regression
    reg = small(NNFSRegressor, max_epochs=3).fit(
        X[:200], Y[:200], validation_data=(X[200:], Y[200:])
    )
    expected = r2_score(Y[200:], reg.predict(X[200:]))
    assert reg.history_[-1]["val_score"] == pytest.approx(expected, rel=1e-12)


def test_output_count_must_not_change(regression, small):
    X, Y = regression
    reg = small(NNFSRegressor).fit(X, Y)
    with pytest.raises(ValueError, match="outputs"):
        reg.partial_fit(X, Y[:, 0])
