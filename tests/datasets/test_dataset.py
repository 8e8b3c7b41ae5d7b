"""Tests for nnfs_lab.datasets.dataset: the frozen Dataset container."""

from __future__ import annotations

import pytest

from nnfs_lab.datasets import load


def test_dataset_is_frozen():
    ds = load("iris")
    with pytest.raises(AttributeError):
        ds.X = None
    assert ds.n_classes == 3
    assert repr(ds) == (
        "Dataset(name='iris', task='classification', X=(150, 4) float64, y=(150,) int64, "
        "n_classes=3)"
    )


def test_regression_dataset_has_no_classes():
    ds = load("sine", n_samples=10)
    assert ds.n_classes is None
    assert (
        repr(ds) == "Dataset(name='sine', task='regression', X=(10, 1) float64, y=(10, 1) float64)"
    )
