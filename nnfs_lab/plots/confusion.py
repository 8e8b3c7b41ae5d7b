"""Confusion matrices as annotated heat maps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nnfs_lab.plots._style import new_axes

__all__ = ["plot_confusion_matrix"]


def _annotate_cells(ax: Axes, cm: np.ndarray, normalize: str | None) -> None:
    """Write each cell's value, white on dark cells so it stays readable."""
    threshold = cm.max() / 2 if cm.size else 0
    for (i, j), value in np.ndenumerate(cm):
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        ax.text(
            j,
            i,
            text,
            ha="center",
            va="center",
            fontsize="small",
            color="white" if value > threshold else "black",
        )


def _confusion(
    y_true: Any,
    y_pred: Any,
    labels: Sequence[Any] | None,
    display_labels: Sequence[str] | None,
    normalize: str | None,
) -> tuple[np.ndarray, list[str]]:
    """The (optionally normalised) matrix and one tick name per label, inputs checked."""
    from sklearn.metrics import confusion_matrix

    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all'; got {normalize!r}")
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"plot_confusion_matrix: y_true has {len(y_true)} labels, y_pred {len(y_pred)}"
        )
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    cm = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    names = list(display_labels) if display_labels is not None else [str(x) for x in labels]
    if len(names) != len(labels):
        raise ValueError(f"display_labels has {len(names)} names for {len(labels)} labels")
    return cm, names


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Sequence[Any] | None = None,
    display_labels: Sequence[str] | None = None,
    normalize: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Confusion matrix as an annotated heat map (rows: true class, columns: predicted).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : sequence, optional
        Which labels to show and in what order (default: all that occur, sorted).
    display_labels : sequence of str, optional
        Names for the ticks (e.g. ``Dataset.target_names``); default ``str(label)``.
    normalize : {None, 'true', 'pred', 'all'}
        As in :func:`sklearn.metrics.confusion_matrix`: normalise over rows, columns or all.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        Unknown ``normalize``, ``y_true`` and ``y_pred`` of different lengths, or
        ``display_labels`` not matching ``labels``.
    """
    cm, names = _confusion(y_true, y_pred, labels, display_labels, normalize)
    n = len(names)
    ax = new_axes(ax, figsize=(max(4.5, 0.55 * n + 2.5), max(4.0, 0.5 * n + 2.0)))
    image = ax.imshow(cm, cmap="Blues", vmin=0)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    if n <= 30:  # beyond that the numbers are unreadable anyway
        _annotate_cells(ax, cm, normalize)
    ax.set_xticks(range(n), names, rotation=45 if max(map(len, names), default=0) > 3 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(
        title or ("confusion matrix" + (f" (normalised: {normalize})" if normalize else ""))
    )
    return ax.figure
