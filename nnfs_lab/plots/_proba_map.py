"""The class-probability map: a grid over the data, the model's probabilities on it, as colours."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.image import AxesImage

from nnfs_lab.plots._style import class_colors

__all__ = ["Extent", "class_probabilities", "classes_of", "draw_proba_map", "grid", "proba_image"]

Extent = tuple[float, float, float, float]


def grid(
    arrays: Sequence[np.ndarray], resolution: int, margin: float = 0.1
) -> tuple[np.ndarray, Extent]:
    """A (resolution**2, 2) grid covering every array, padded by ``margin`` of the span."""
    if resolution < 2:
        raise ValueError(f"resolution must be >= 2, got {resolution}")
    pts = np.concatenate(arrays)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.where(hi > lo, (hi - lo) * margin, 1.0)
    lo, hi = lo - pad, hi + pad
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return np.c_[xx.ravel(), yy.ravel()], (lo[0], hi[0], lo[1], hi[1])


def classes_of(estimator: Any, *ys: np.ndarray | None) -> np.ndarray:
    """The estimator's ``classes_``, or the sorted labels found in ``ys`` when it has none."""
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        return np.asarray(classes)
    return np.unique(np.concatenate([np.asarray(y) for y in ys if y is not None]))


def class_probabilities(estimator: Any, points: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """(n_points, n_classes) probabilities; one-hot of ``predict`` without ``predict_proba``."""
    if hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(points), dtype=np.float64)
        if proba.ndim == 1:  # some binary models return P(class 1) only
            proba = np.c_[1.0 - proba, proba]
        return proba
    pred = np.asarray(estimator.predict(points))
    idx = np.searchsorted(classes, pred)
    if np.any(idx >= len(classes)) or np.any(classes[np.minimum(idx, len(classes) - 1)] != pred):
        raise ValueError("estimator.predict returned labels that are not in estimator.classes_")
    return np.eye(len(classes))[idx]


def proba_image(proba: np.ndarray, resolution: int) -> np.ndarray:
    """(res, res, 3) RGB: each pixel the probability-weighted mix of class colours, washed
    towards white where the model is unsure, so confident regions read as solid colour."""
    n_classes = proba.shape[1]
    rgb = proba @ class_colors(n_classes)  # (n_grid, 3)
    # Confidence 0 at the uniform distribution, 1 at a one-hot prediction.
    confidence = (proba.max(axis=1) - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)
    alpha = 0.25 + 0.5 * confidence[:, None]
    rgb = alpha * rgb + (1.0 - alpha)
    return np.clip(rgb, 0.0, 1.0).reshape(resolution, resolution, 3)


def draw_proba_map(ax: Axes, proba: np.ndarray, extent: Extent, resolution: int) -> AxesImage:
    """Draw :func:`proba_image` over ``extent``; the image is returned so frames can update it."""
    return ax.imshow(
        proba_image(proba, resolution),
        extent=extent,
        origin="lower",
        aspect="auto",
        interpolation="bilinear",
    )
