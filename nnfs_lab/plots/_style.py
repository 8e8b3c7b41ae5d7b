"""Drawing primitives shared by the figures: class colours, new axes, labelled scatter points."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

__all__ = [
    "class_colors",
    "label_index",
    "legend_names",
    "legend_outside",
    "new_axes",
    "scatter_classes",
    "scatter_train_test",
]

_PALETTE = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf".split()


def class_colors(n_classes: int) -> np.ndarray:
    """(n_classes, 3) RGB colours: tab10, cycling past ten classes."""
    return np.array([to_rgb(_PALETTE[k % len(_PALETTE)]) for k in range(n_classes)])


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (6.5, 5.0)) -> Axes:
    """``ax`` itself, or the axes of a new Figure (no pyplot, so no global figure state)."""
    if ax is not None:
        return ax
    return Figure(figsize=figsize, layout="constrained").add_subplot()


def legend_names(classes: np.ndarray, class_names: Sequence[str] | None) -> list[str]:
    """Legend names for ``classes``: ``class_names`` when given (one per class), else the labels."""
    if class_names is None:
        return [str(c) for c in classes]
    if len(class_names) != len(classes):
        raise ValueError(f"class_names has {len(class_names)} names for {len(classes)} classes")
    return [str(n) for n in class_names]


def label_index(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Positions of ``y``'s labels in ``classes`` (so colours match the probability map)."""
    idx = np.searchsorted(classes, y)
    idx = np.minimum(idx, len(classes) - 1)
    if np.any(classes[idx] != y):
        raise ValueError(f"labels {np.setdiff1d(y, classes)} are not among the classes {classes}")
    return idx


def scatter_classes(
    ax: Axes,
    X: np.ndarray,
    y_idx: np.ndarray,
    names: Sequence[str],
    marker: str,
    label_suffix: str,
    size: float,
) -> None:
    """One scatter per class present in ``y_idx``, coloured and labelled ``name + suffix``."""
    colors = class_colors(len(names))
    for k, name in enumerate(names):
        mask = y_idx == k
        if mask.any():
            ax.scatter(
                X[mask, 0],
                X[mask, 1],
                s=size,
                color=colors[k],
                marker=marker,
                edgecolors="black",
                linewidths=0.4,
                label=f"{name}{label_suffix}",
            )


def scatter_train_test(
    ax: Axes,
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray | None,
    y_test: np.ndarray | None,
    classes: np.ndarray,
    names: Sequence[str],
    sizes: tuple[float, float],
) -> None:
    """Training points as circles and test points (if any) as triangles, sized ``sizes``."""
    train_suffix = " (train)" if X_test is not None else ""
    scatter_classes(ax, X, label_index(y, classes), names, "o", train_suffix, sizes[0])
    if X_test is not None:
        y_idx = label_index(y_test, classes)
        scatter_classes(ax, X_test, y_idx, names, "^", " (test)", sizes[1])


def legend_outside(ax: Axes) -> None:
    """Legend to the right of the axes, where it cannot hide points."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
