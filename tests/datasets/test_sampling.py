"""Tests for nnfs_lab.datasets._sampling: class-balanced subsets."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab.datasets._sampling import stratified_subset


def test_stratified_subset_balances_classes_and_keeps_order():
    y = np.repeat(np.arange(3), [50, 10, 40])
    keep = stratified_subset(y, 30, np.random.default_rng(0))
    assert np.all(np.diff(keep) > 0)
    assert np.bincount(y[keep]).tolist() == [10, 10, 10]


def test_stratified_subset_float_targets_and_too_many_rows():
    y = np.linspace(0.0, 1.0, 20)
    keep = stratified_subset(y, 5, np.random.default_rng(0))
    assert len(keep) == 5 and len(set(keep)) == 5
    with pytest.raises(ValueError, match="asked for 21 samples but the dataset has only 20"):
        stratified_subset(y, 21, np.random.default_rng(0))
