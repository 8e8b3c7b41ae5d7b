"""Tests for nnfs_lab.datasets.playground: TensorFlow Playground's two-class shapes."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab import datasets
from nnfs_lab.datasets import load


@pytest.mark.parametrize("name", ["circle", "gaussian", "playground_spiral", "moons"])
def test_playground_n_samples_is_total(name):
    ds = load(name, n_samples=101, random_state=0)
    assert ds.X.shape == (101, 2)
    assert sorted(np.bincount(ds.y).tolist()) == [50, 51]


@pytest.mark.parametrize("func", [datasets.circle, datasets.gaussian, datasets.playground_spiral])
def test_two_class_shapes_need_two_samples(func):
    with pytest.raises(ValueError, match="n_samples must be >= 2"):
        func(1)


def test_circle_geometry_without_noise():
    X, y = datasets.circle(400, random_state=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r[y == 1] <= 0.5) and np.all((r[y == 0] >= 0.7) & (r[y == 0] <= 1.0))


def test_circle_noise_flips_labels_near_the_boundary():
    X, y = datasets.circle(2000, noise=0.5, random_state=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.any((r <= 0.5) & (y == 0)) and np.any((r >= 0.7) & (y == 1))


def test_xor_geometry():
    X, y = datasets.xor(1000, random_state=0)
    assert np.all(np.abs(X) >= 0.06 - 1e-12) and np.all(np.abs(X) <= 1.06 + 1e-12)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(np.int64))


def test_gaussian_noise_widens_clusters():
    narrow, _ = datasets.gaussian(2000, noise=0.0, random_state=0)
    wide, _ = datasets.gaussian(2000, noise=0.5, random_state=0)
    assert wide[:1000].std() > 2 * narrow[:1000].std()
