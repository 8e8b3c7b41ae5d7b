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


def test_target_standardized_by_default_and_predictions_in_target_units():
    """Loss and training happen on the standardized target; predictions come back in y's
    units. ``standardize_target=False`` trains on y as given (and, here, learns far less)."""
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    kw = dict(hidden_layer_sizes=(32,), max_epochs=50, random_state=0)
    std = NNFSRegressor(**kw).fit(X, y)
    raw = NNFSRegressor(standardize_target=False, **kw).fit(X, y)
    assert std.target_mean_ == pytest.approx([y.mean()])
    assert std.target_scale_ == pytest.approx([y.std()])
    assert raw.target_mean_.tolist() == [0.0] and raw.target_scale_.tolist() == [1.0]
    assert std.loss_curve_[-1] < 1.0 < raw.loss_curve_[-1]  # standardized vs raw units
    assert abs(std.predict(X).mean() - y.mean()) < 10
    assert std.score(X, y) > 0.4 > raw.score(X, y)


@pytest.mark.slow
def test_default_regressor_on_diabetes_matches_mlp_with_2000_iterations():
    """The issue's yardstick: default settings, 5-fold CV, StandardScaler on X, seeds 0-4."""
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)

    def median_r2(make) -> float:
        scores = [
            cross_val_score(make_pipeline(StandardScaler(), make(seed)), X, y,
                            cv=KFold(5, shuffle=True, random_state=seed)).mean()
            for seed in range(5)
        ]  # fmt: skip
        return float(np.median(scores))

    nnfs = median_r2(lambda seed: NNFSRegressor(random_state=seed))
    mlp = median_r2(lambda seed: MLPRegressor(max_iter=2000, random_state=seed))
    print(f"diabetes median R^2: NNFSRegressor() {nnfs:.3f}, MLPRegressor(max_iter=2000) {mlp:.3f}")
    assert nnfs >= mlp - 0.01
