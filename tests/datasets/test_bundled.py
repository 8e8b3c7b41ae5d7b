"""Tests for nnfs_lab.datasets.bundled: scikit-learn's generators and bundled tables."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab import datasets
from nnfs_lab.datasets import load

BUNDLED = {
    # name: (n_samples, n_features, class counts or None for regression)
    "digits": (1797, 64, None),
    "iris": (150, 4, [50, 50, 50]),
    "wine": (178, 13, [59, 71, 48]),
    "breast_cancer": (569, 30, [212, 357]),
    "diabetes": (442, 10, None),
}


def test_generator_accepts_numpy_generator():
    X1, _ = datasets.moons(50, random_state=np.random.default_rng(5))
    X2, _ = datasets.moons(50, random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(X1, X2)


def test_blobs_params():
    ds = load("blobs", n_samples=90, n_classes=5, n_features=3, random_state=0)
    assert ds.X.shape == (90, 3) and len(ds.target_names) == 5


@pytest.mark.parametrize("name", list(BUNDLED))
def test_bundled(name):
    n, d, counts = BUNDLED[name]
    ds = load(name)
    assert ds.X.shape == (n, d) and ds.X.dtype == np.float64
    assert len(ds.feature_names) == d
    if name == "diabetes":
        assert ds.task == "regression" and ds.y.dtype == np.float64 and ds.target_names is None
    else:
        assert ds.task == "classification" and ds.y.dtype == np.int64
        if counts is not None:
            assert np.bincount(ds.y).tolist() == counts
        assert len(ds.target_names) == ds.y.max() + 1
    again = load(name, random_state=99)  # fixed data: the seed only matters for subsets
    np.testing.assert_array_equal(ds.X, again.X)


def test_bundled_subset_is_stratified_and_seeded():
    a = load("digits", n_samples=200, random_state=1)
    b = load("digits", n_samples=200, random_state=1)
    c = load("digits", n_samples=200, random_state=2)
    assert a.X.shape == (200, 64)
    assert np.bincount(a.y).tolist() == [20] * 10
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)


def test_bundled_standardize():
    X = load("wine", standardize=True).X
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1)
