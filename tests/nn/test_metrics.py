"""Metrics accumulated over an epoch's batches agree with the same metric on the whole data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score

from nnfs_lab.nn import CategoricalAccuracy, R2Score


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(103, 2)) * [1.0, 5.0] + [0.0, 3.0]
    pred = y + rng.normal(scale=0.5, size=y.shape)
    return y, pred


def accumulate(metric, pred, y, batch, weights=None):
    metric.new_pass()
    for lo in range(0, len(y), batch):
        w = None if weights is None else weights[lo : lo + batch]
        metric.calculate(pred[lo : lo + batch], y[lo : lo + batch], w)
    return metric.calculate_accumulated()


@pytest.mark.parametrize("batch", [1, 16, 103])
@pytest.mark.parametrize("outputs", [slice(0, 1), slice(0, 2)])
def test_r2_over_batches_equals_sklearn_on_full_data(regression, batch, outputs):
    y, pred = regression[0][:, outputs], regression[1][:, outputs]
    got = accumulate(R2Score(), pred, y, batch)
    assert got == pytest.approx(r2_score(y, pred), rel=1e-12, abs=1e-12)


def test_weighted_r2_over_batches_equals_sklearn(regression):
    y, pred = regression
    w = np.random.default_rng(1).uniform(0.1, 3.0, size=len(y))
    got = accumulate(R2Score(), pred, y, 10, w)
    assert got == pytest.approx(r2_score(y, pred, sample_weight=w), rel=1e-12)


def test_r2_new_pass_forgets_the_previous_epoch(regression):
    y, pred = regression
    metric = R2Score()
    accumulate(metric, pred[::-1] * 0, y, 10)
    assert accumulate(metric, pred, y, 10) == pytest.approx(r2_score(y, pred), rel=1e-12)
    metric.new_pass()
    assert np.isnan(metric.calculate_accumulated())


def test_accuracy_over_batches_equals_sklearn():
    rng = np.random.default_rng(0)
    y, pred = rng.integers(0, 3, 101), rng.integers(0, 3, 101)
    assert accumulate(CategoricalAccuracy(), pred, y, 7) == pytest.approx(accuracy_score(y, pred))
