"""Learning curves: loss and score per epoch, train vs validation, and the learning rate."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["plot_learning_curves"]

# Looks a column up by name; None when the history lacks it or holds only NaN there.
Series = Callable[[str], np.ndarray | None]


def _history_columns(history: Any) -> dict[str, np.ndarray]:
    """Columns of a per-epoch history as float arrays (None -> NaN)."""
    if hasattr(history, "history_"):  # a fitted NNFS estimator
        history = history.history_
    if hasattr(history, "to_dict") and hasattr(history, "columns"):  # a DataFrame
        records = history.to_dict("records")
    else:
        records = list(history)
    if not records:
        raise ValueError("plot_learning_curves: the history is empty (no epoch was recorded)")
    if not all(isinstance(r, Mapping) for r in records):
        raise ValueError(
            "plot_learning_curves needs a list of per-epoch dicts or a DataFrame; "
            f"got items of type {type(records[0]).__name__}"
        )
    keys = dict.fromkeys(k for r in records for k in r)
    columns = {}
    for key in keys:
        values = [r.get(key) for r in records]
        try:
            columns[key] = np.array([np.nan if v is None else v for v in values], dtype=float)
        except (TypeError, ValueError):
            continue  # non-numeric column (a timestamp, a tag): not plottable
    if "epoch" not in columns:
        columns["epoch"] = np.arange(1, len(records) + 1, dtype=float)
    return columns


def _plot_train_val(
    ax: Axes, epoch: np.ndarray, series: Series, train_key: str, val_key: str
) -> None:
    """Train as a solid line, validation dashed, each only where the history has it."""
    for key, label, style, color in (
        (train_key, "train", "-", "C0"),
        (val_key, "validation", "--", "C1"),
    ):
        if (values := series(key)) is not None:
            ax.plot(epoch, values, style, color=color, label=label)


def _loss_panel(ax: Axes, epoch: np.ndarray, series: Series) -> None:
    _plot_train_val(ax, epoch, series, "loss", "val_loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    loss = series("loss")
    if loss is not None and np.nanmin(loss) > 0 and np.nanmax(loss) / np.nanmin(loss) > 100:
        ax.set_yscale("log")  # losses spanning decades are unreadable on a linear axis
    handles, labels = ax.get_legend_handles_labels()
    lr = series("learning_rate")
    lr_constant = lr is not None and np.nanmax(lr) == np.nanmin(lr)
    if lr is not None and not lr_constant:
        # A decaying rate explains bends in the loss curve: same x axis, own y axis.
        ax_lr = ax.twinx()
        (line,) = ax_lr.plot(epoch, lr, ":", color="0.4", label="learning rate")
        ax_lr.set_ylabel("learning rate", color="0.4")
        if np.nanmin(lr) > 0 and np.nanmax(lr) / np.nanmin(lr) > 20:
            ax_lr.set_yscale("log")
        handles.append(line)
        labels.append("learning rate")
    ax.legend(handles, labels, loc="upper right", fontsize="small")
    ax.set_title(f"loss (learning rate {np.nanmax(lr):.3g}, constant)" if lr_constant else "loss")


def _score_panel(ax: Axes, epoch: np.ndarray, series: Series) -> None:
    _plot_train_val(ax, epoch, series, "train_score", "val_score")
    ax.set_xlabel("epoch")
    ax.set_ylabel("score (accuracy or R²)")
    ax.set_title("score")
    ax.legend(loc="lower right", fontsize="small")


def plot_learning_curves(history: Any, *, title: str | None = None) -> Figure:
    """Loss and score per epoch, train vs validation, with the learning rate on a twin axis.

    Parameters
    ----------
    history : list of dict, DataFrame, or fitted estimator
        One row per epoch with (some of) the keys ``epoch, loss, val_loss, train_score,
        val_score, learning_rate`` (the estimator's ``history_``). Missing or all-NaN series are
        left out, so a run without validation data shows train curves only.
    title : str, optional

    Returns
    -------
    Figure
        Two panels: loss (left, a changing learning rate on its right axis) and score (right);
        one panel when the history has no scores (or no losses).

    Raises
    ------
    ValueError
        The history is empty, is not made of per-epoch dicts, or has neither loss nor score.
    """
    cols = _history_columns(history)

    def series(key: str) -> np.ndarray | None:
        values = cols.get(key)
        return values if values is not None and np.isfinite(values).any() else None

    if all(series(k) is None for k in ("loss", "val_loss", "train_score", "val_score")):
        raise ValueError(
            "plot_learning_curves: the history has neither 'loss' nor 'train_score'; "
            f"keys found: {sorted(cols)}"
        )
    has_score = series("train_score") is not None or series("val_score") is not None
    has_loss = series("loss") is not None or series("val_loss") is not None
    n_panels = int(has_loss) + int(has_score)
    # Fixed margins: a constrained layout measures every label and costs more than the drawing
    # (a sweep draws these for its best trials).
    fig = Figure(figsize=(5.5 * n_panels, 4.2))
    fig.subplots_adjust(left=0.5 / (5.5 * n_panels) * 1.6, right=1 - 0.75 / (5.5 * n_panels),
                        bottom=0.12, top=0.86 if title else 0.92, wspace=0.38)  # fmt: skip
    axes = list(np.atleast_1d(fig.subplots(1, n_panels)))
    if has_loss:
        _loss_panel(axes.pop(0), cols["epoch"], series)
    if has_score:
        _score_panel(axes.pop(0), cols["epoch"], series)
    if title:
        fig.suptitle(title)
    return fig
