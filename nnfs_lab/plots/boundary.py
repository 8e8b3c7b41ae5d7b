"""Decision boundaries of fitted 2-D classifiers, and plain scatter plots of 2-D datasets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nnfs_lab.plots._checks import check_2d, check_test_pair, check_y
from nnfs_lab.plots._proba_map import (
    Extent,
    class_probabilities,
    classes_of,
    draw_proba_map,
    grid,
)
from nnfs_lab.plots._style import (
    label_index,
    legend_names,
    legend_outside,
    new_axes,
    scatter_classes,
    scatter_train_test,
)

__all__ = ["plot_dataset", "plot_decision_boundary"]


def _draw_boundary_lines(ax: Axes, proba: np.ndarray, extent: Extent, resolution: int) -> None:
    """Black lines where the most probable class changes (none for a single class)."""
    n_classes = proba.shape[1]
    if n_classes < 2:
        return
    labels = proba.argmax(axis=1).reshape(resolution, resolution)
    xs = np.linspace(extent[0], extent[1], resolution)
    ys = np.linspace(extent[2], extent[3], resolution)
    ax.contour(
        xs,
        ys,
        labels,
        levels=np.arange(n_classes - 1) + 0.5,
        colors="black",
        linewidths=0.8,
        alpha=0.6,
    )


def _probability_map(
    estimator: Any, arrays: list[np.ndarray], classes: np.ndarray, resolution: int, where: str
) -> tuple[np.ndarray, Extent]:
    """The model's class probabilities on a grid covering ``arrays``, and the grid's extent."""
    points, extent = grid(arrays, resolution)
    proba = class_probabilities(estimator, points, classes)
    if proba.shape != (len(points), len(classes)):
        raise ValueError(
            f"{where}: predict_proba returned shape {proba.shape}, expected "
            f"({len(points)}, {len(classes)}) for classes {classes}"
        )
    return proba, extent


def plot_decision_boundary(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    X_test: Any = None,
    y_test: Any = None,
    ax: Axes | None = None,
    resolution: int = 200,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Class-probability map of a fitted 2-D classifier, with its training (and test) points.

    Each pixel mixes the class colours by ``estimator.predict_proba`` (pale where the model is
    unsure); the decision boundaries are drawn as lines. Without ``predict_proba`` the map shows
    the hard ``predict`` regions.

    Parameters
    ----------
    estimator : fitted classifier
        Needs ``predict_proba`` or ``predict``; ``classes_`` is used when present.
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
        Training points (circles).
    X_test, y_test : array-like, optional
        Test points (triangles).
    ax : Axes, optional
        Draw here instead of a new figure.
    resolution : int
        Grid points per axis.
    class_names : sequence of str, optional
        Legend names, one per class in ``classes_`` order (e.g. ``Dataset.target_names``).
    title : str, optional

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        X (or X_test) does not have exactly two columns, lengths disagree, or labels are not in
        ``estimator.classes_``.
    """
    where = "plot_decision_boundary"
    X = check_2d(X, "X", where)
    y = check_y(y, X, "y", where)
    X_test, y_test = check_test_pair(X_test, y_test, where)
    classes = classes_of(estimator, y, y_test)
    arrays = [X] if X_test is None else [X, X_test]
    proba, extent = _probability_map(estimator, arrays, classes, resolution, where)
    ax = new_axes(ax)
    draw_proba_map(ax, proba, extent, resolution)
    _draw_boundary_lines(ax, proba, extent, resolution)
    names = legend_names(classes, class_names)
    scatter_train_test(ax, X, y, X_test, y_test, classes, names, sizes=(18, 30))
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    legend_outside(ax)
    ax.set_title(title or f"{type(estimator).__name__} decision boundary")
    return ax.figure


def plot_dataset(
    X: Any,
    y: Any,
    *,
    ax: Axes | None = None,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Scatter plot of a 2-D classification dataset, one colour per class.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    ax : Axes, optional
        Draw here instead of a new figure.
    class_names : sequence of str, optional
        Replaces the labels in the legend, one name per sorted unique label.
    title : str, optional

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        X does not have exactly two columns, or y does not match it.
    """
    X = check_2d(X, "X", "plot_dataset")
    y = check_y(y, X, "y", "plot_dataset")
    classes = np.unique(y)
    ax = new_axes(ax)
    names = legend_names(classes, class_names)
    scatter_classes(ax, X, label_index(y, classes), names, "o", "", 18)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_aspect("equal", adjustable="datalim")
    legend_outside(ax)
    if title:
        ax.set_title(title)
    return ax.figure
