"""Tests for nnfs_lab.datasets.book: the book's spiral, vertical and sine data."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab import datasets
from nnfs_lab.datasets import load


def test_spiral_matches_book_formula():
    X, y = datasets.spiral(50, 3, random_state=7)
    assert X.shape == (150, 2) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    rng = np.random.default_rng(7)
    r = np.linspace(0, 1, 50)
    for k in range(3):
        t = np.linspace(4 * k, 4 * (k + 1), 50) + rng.standard_normal(50) * 0.2
        expected = np.c_[r * np.sin(2.5 * t), r * np.cos(2.5 * t)]
        np.testing.assert_allclose(X[50 * k : 50 * (k + 1)], expected)
        assert np.all(y[50 * k : 50 * (k + 1)] == k)


def test_spiral_without_noise_is_deterministic_geometry():
    X, _ = datasets.spiral(10, 2, noise=0.0)
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), np.tile(np.linspace(0, 1, 10), 2))


def test_vertical_matches_book_formula():
    X, y = datasets.vertical(40, 3, random_state=3)
    assert X.shape == (120, 2) and y.dtype == np.int64
    rng = np.random.default_rng(3)
    for k in range(3):
        a = rng.standard_normal(40) * 0.1 + k / 3
        b = rng.standard_normal(40) * 0.1 + 0.5
        np.testing.assert_allclose(X[40 * k : 40 * (k + 1)], np.c_[a, b])
    assert np.bincount(y).tolist() == [40, 40, 40]


def test_sine_matches_book():
    X, y = datasets.sine(1000)
    assert X.shape == (1000, 1) and y.shape == (1000, 1)
    np.testing.assert_array_equal(X, np.arange(1000).reshape(-1, 1) / 1000)
    np.testing.assert_array_equal(y, np.sin(2 * np.pi * X))
    _, noisy = datasets.sine(1000, noise=0.1, random_state=0)
    assert 0.05 < np.std(noisy - y) < 0.15


@pytest.mark.parametrize("n", [1, 7, 100])
def test_book_n_samples_is_per_class(n):
    assert load("spiral", n_samples=n, n_classes=4).X.shape == (4 * n, 2)
    assert load("vertical", n_samples=n, n_classes=2).X.shape == (2 * n, 2)
