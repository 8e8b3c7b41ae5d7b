"""Tests for nnfs_lab.plots.boundary: decision boundaries and dataset scatter plots."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.svm import LinearSVC

from nnfs_lab import plots
from nnfs_lab.datasets import load


def test_decision_boundary_with_test_points(spiral_data, fitted, tmp_path, assert_png):
    X, y, X_test, y_test = spiral_data
    fig = plots.plot_decision_boundary(fitted, X, y, X_test=X_test, y_test=y_test, resolution=50)
    ax = fig.axes[0]
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (50, 50, 3)
    labels = ax.get_legend_handles_labels()[1]
    assert "0 (train)" in labels and "2 (test)" in labels
    assert_png(fig, tmp_path)


def test_decision_boundary_predict_only_and_string_labels(spiral_data, tmp_path, assert_png):
    X, y, _, _ = spiral_data
    names = np.array(["a", "b", "c"])[y]
    model = LinearSVC().fit(X, names)  # no predict_proba: hard regions from predict
    fig = plots.plot_decision_boundary(model, X, names, resolution=40)
    assert_png(fig, tmp_path)


def test_decision_boundary_into_given_axes(spiral_data, fitted):
    X, y, _, _ = spiral_data
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    assert plots.plot_decision_boundary(fitted, X, y, ax=ax2, resolution=20) is fig
    assert ax2.images and not ax1.images


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.zeros((10, 3)), r"shape \(n_samples, 2\).*\(10, 3\)"),
        (np.zeros(10), r"shape \(n_samples, 2\).*\(10,\)"),
        (np.full((10, 2), np.nan), "NaN"),
    ],
)
def test_decision_boundary_rejects_bad_X(fitted, X, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_decision_boundary(fitted, X, np.zeros(len(X), dtype=int))


def test_decision_boundary_rejects_mismatched_inputs(spiral_data, fitted):
    X, y, X_test, y_test = spiral_data
    with pytest.raises(ValueError, match="one label per row"):
        plots.plot_decision_boundary(fitted, X, y[:-1])
    with pytest.raises(ValueError, match="both X_test and y_test"):
        plots.plot_decision_boundary(fitted, X, y, X_test=X_test)
    with pytest.raises(ValueError, match="X_test of shape"):
        plots.plot_decision_boundary(fitted, X, y, X_test=X_test[:, :1], y_test=y_test)
    with pytest.raises(ValueError, match="not among the classes"):
        plots.plot_decision_boundary(fitted, X, y + 5)
    with pytest.raises(ValueError, match="class_names has 2 names for 3 classes"):
        plots.plot_decision_boundary(fitted, X, y, class_names=["a", "b"])


def test_plot_dataset(tmp_path, assert_png):
    ds = load("circle", n_samples=100, random_state=0)
    fig = plots.plot_dataset(ds.X, ds.y, title="circle", class_names=ds.target_names)
    assert len(fig.axes[0].collections) == 2
    assert fig.axes[0].get_legend_handles_labels()[1] == ["ring", "disc"]
    assert_png(fig, tmp_path)
    with pytest.raises(ValueError, match="plot_dataset needs X of shape"):
        plots.plot_dataset(np.zeros((5, 4)), np.zeros(5))
