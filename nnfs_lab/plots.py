"""Figures: decision boundaries (and their evolution as a GIF), learning curves, confusion matrices.

Every function builds a :class:`matplotlib.figure.Figure` directly and returns it; nothing here
imports ``pyplot`` or calls ``show``, so plotting works headless (no display, any backend) and
never changes the backend of an interactive session. Save with ``fig.savefig("out.png")``; in
Jupyter a returned Figure displays itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

__all__ = [
    "DecisionBoundaryRecorder",
    "plot_confusion_matrix",
    "plot_dataset",
    "plot_decision_boundary",
    "plot_learning_curves",
]

_PALETTE = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf".split()


def _colors(n_classes: int) -> np.ndarray:
    """(n_classes, 3) RGB colours: tab10, cycling past ten classes."""
    return np.array([to_rgb(_PALETTE[k % len(_PALETTE)]) for k in range(n_classes)])


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (6.5, 5.0)) -> Axes:
    if ax is not None:
        return ax
    return Figure(figsize=figsize, layout="constrained").add_subplot()


def _check_2d(X: Any, name: str, where: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"{where} needs {name} of shape (n_samples, 2): two features to draw on the plane; "
            f"got shape {X.shape}"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{where}: {name} contains NaN or infinite values")
    return X


def _check_y(y: Any, X: np.ndarray, name: str, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"{where}: {name} must be 1-D with one label per row of X ({len(X)}); "
            f"got shape {y.shape}"
        )
    return y


def _grid(
    arrays: Sequence[np.ndarray], resolution: int, margin: float = 0.1
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
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


def _classes(estimator: Any, *ys: np.ndarray | None) -> np.ndarray:
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        return np.asarray(classes)
    return np.unique(np.concatenate([np.asarray(y) for y in ys if y is not None]))


def _probabilities(estimator: Any, grid: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """(n_grid, n_classes) class probabilities; one-hot of ``predict`` without ``predict_proba``."""
    if hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(grid), dtype=np.float64)
        if proba.ndim == 1:  # some binary models return P(class 1) only
            proba = np.c_[1.0 - proba, proba]
        return proba
    pred = np.asarray(estimator.predict(grid))
    idx = np.searchsorted(classes, pred)
    if np.any(idx >= len(classes)) or np.any(classes[np.minimum(idx, len(classes) - 1)] != pred):
        raise ValueError("estimator.predict returned labels that are not in estimator.classes_")
    return np.eye(len(classes))[idx]


def _names(classes: np.ndarray, class_names: Sequence[str] | None) -> list[str]:
    if class_names is None:
        return [str(c) for c in classes]
    if len(class_names) != len(classes):
        raise ValueError(f"class_names has {len(class_names)} names for {len(classes)} classes")
    return [str(n) for n in class_names]


def _label_index(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Positions of ``y``'s labels in ``classes`` (so colours match the probability map)."""
    idx = np.searchsorted(classes, y)
    idx = np.minimum(idx, len(classes) - 1)
    if np.any(classes[idx] != y):
        raise ValueError(f"labels {np.setdiff1d(y, classes)} are not among the classes {classes}")
    return idx


def _proba_image(proba: np.ndarray, resolution: int) -> np.ndarray:
    """(res, res, 3) RGB: each pixel the probability-weighted mix of class colours, washed
    towards white where the model is unsure, so confident regions read as solid colour."""
    n_classes = proba.shape[1]
    rgb = proba @ _colors(n_classes)  # (n_grid, 3)
    # Confidence 0 at the uniform distribution, 1 at a one-hot prediction.
    confidence = (proba.max(axis=1) - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)
    alpha = 0.25 + 0.5 * confidence[:, None]
    rgb = alpha * rgb + (1.0 - alpha)
    return np.clip(rgb, 0.0, 1.0).reshape(resolution, resolution, 3)


def _scatter(
    ax: Axes,
    X: np.ndarray,
    y_idx: np.ndarray,
    names: Sequence[str],
    marker: str,
    label_suffix: str,
    size: float,
) -> None:
    colors = _colors(len(names))
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


def _draw_boundary(
    ax: Axes,
    proba: np.ndarray,
    extent: tuple[float, float, float, float],
    resolution: int,
) -> Any:
    image = ax.imshow(
        _proba_image(proba, resolution),
        extent=extent,
        origin="lower",
        aspect="auto",
        interpolation="bilinear",
    )
    return image


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
    X = _check_2d(X, "X", where)
    y = _check_y(y, X, "y", where)
    arrays = [X]
    if (X_test is None) != (y_test is None):
        raise ValueError(f"{where}: pass both X_test and y_test, or neither")
    if X_test is not None:
        X_test = _check_2d(X_test, "X_test", where)
        y_test = _check_y(y_test, X_test, "y_test", where)
        arrays.append(X_test)
    classes = _classes(estimator, y, y_test)
    grid, extent = _grid(arrays, resolution)
    proba = _probabilities(estimator, grid, classes)
    if proba.shape != (len(grid), len(classes)):
        raise ValueError(
            f"{where}: predict_proba returned shape {proba.shape}, expected "
            f"({len(grid)}, {len(classes)}) for classes {classes}"
        )

    ax = _new_axes(ax)
    _draw_boundary(ax, proba, extent, resolution)
    labels = proba.argmax(axis=1).reshape(resolution, resolution)
    if len(classes) > 1:
        xs = np.linspace(extent[0], extent[1], resolution)
        ys = np.linspace(extent[2], extent[3], resolution)
        ax.contour(
            xs,
            ys,
            labels,
            levels=np.arange(len(classes) - 1) + 0.5,
            colors="black",
            linewidths=0.8,
            alpha=0.6,
        )
    names = _names(classes, class_names)
    train_suffix = " (train)" if X_test is not None else ""
    _scatter(ax, X, _label_index(y, classes), names, "o", train_suffix, 18)
    if X_test is not None:
        _scatter(ax, X_test, _label_index(y_test, classes), names, "^", " (test)", 30)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
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

    ``class_names`` (one per sorted unique label) replaces the labels in the legend.

    Raises
    ------
    ValueError
        X does not have exactly two columns, or y does not match it.
    """
    X = _check_2d(X, "X", "plot_dataset")
    y = _check_y(y, X, "y", "plot_dataset")
    classes = np.unique(y)
    ax = _new_axes(ax)
    _scatter(ax, X, _label_index(y, classes), _names(classes, class_names), "o", "", 18)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    if title:
        ax.set_title(title)
    return ax.figure


# ------------------------------------------------------------------------ learning curves


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
    """
    cols = _history_columns(history)
    epoch = cols["epoch"]

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
    fig = Figure(figsize=(5.5 * n_panels, 4.2), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(1, n_panels)))
    ax_loss = axes.pop(0) if has_loss else None
    ax_score = axes.pop(0) if has_score else None

    lr = series("learning_rate")
    lr_constant = lr is not None and np.nanmax(lr) == np.nanmin(lr)
    if ax_loss is not None:
        for key, label, style, color in (
            ("loss", "train", "-", "C0"),
            ("val_loss", "validation", "--", "C1"),
        ):
            if (values := series(key)) is not None:
                ax_loss.plot(epoch, values, style, color=color, label=label)
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss")
        loss = series("loss")
        if loss is not None and np.nanmin(loss) > 0 and np.nanmax(loss) / np.nanmin(loss) > 100:
            ax_loss.set_yscale("log")  # losses spanning decades are unreadable on a linear axis
        handles, labels = ax_loss.get_legend_handles_labels()
        if lr is not None and not lr_constant:
            # A decaying rate explains bends in the loss curve: same x axis, own y axis.
            ax_lr = ax_loss.twinx()
            (line,) = ax_lr.plot(epoch, lr, ":", color="0.4", label="learning rate")
            ax_lr.set_ylabel("learning rate", color="0.4")
            if np.nanmin(lr) > 0 and np.nanmax(lr) / np.nanmin(lr) > 20:
                ax_lr.set_yscale("log")
            handles.append(line)
            labels.append("learning rate")
        ax_loss.legend(handles, labels, loc="upper right", fontsize="small")
        ax_loss.set_title(
            f"loss (learning rate {np.nanmax(lr):.3g}, constant)" if lr_constant else "loss"
        )

    if ax_score is not None:
        for key, label, style, color in (
            ("train_score", "train", "-", "C0"),
            ("val_score", "validation", "--", "C1"),
        ):
            if (values := series(key)) is not None:
                ax_score.plot(epoch, values, style, color=color, label=label)
        ax_score.set_xlabel("epoch")
        ax_score.set_ylabel("score (accuracy or R²)")
        ax_score.set_title("score")
        ax_score.legend(loc="lower right", fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


# ------------------------------------------------------------------------ confusion matrix


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
    """
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

    n = len(labels)
    ax = _new_axes(ax, figsize=(max(4.5, 0.55 * n + 2.5), max(4.0, 0.5 * n + 2.0)))
    image = ax.imshow(cm, cmap="Blues", vmin=0)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    threshold = cm.max() / 2 if cm.size else 0
    if n <= 30:  # beyond that the numbers are unreadable anyway
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
    ax.set_xticks(range(n), names, rotation=45 if max(map(len, names), default=0) > 3 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(
        title or ("confusion matrix" + (f" (normalised: {normalize})" if normalize else ""))
    )
    return ax.figure


# ----------------------------------------------------------------- boundary animation (GIF)


class DecisionBoundaryRecorder:
    """Callback recording the class-probability map while a 2-D classifier trains.

    Pass it in ``callbacks=[recorder]``; it records a frame every ``every`` epochs, plus the
    final state at the end of training. Memory stays bounded: when more than ``max_frames``
    frames would be kept, every other frame is dropped and ``every`` doubles, so a 10,000-epoch
    run still ends with at most ``max_frames`` frames spread evenly over the whole run.

    Parameters
    ----------
    X, y : array-like
        Training data, drawn on every frame (X must have two features).
    every : int
        Record every ``every`` epochs (grows by doubling as described above).
    max_frames : int
        Upper bound on the number of frames kept (>= 2).
    resolution : int
        Grid points per axis of each probability map.
    X_test, y_test : array-like, optional
        Test points to draw as triangles.
    class_names : sequence of str, optional
        Legend names, one per class.

    Attributes
    ----------
    epochs : list of int
        Epoch of each recorded frame.
    n_frames : int
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        *,
        every: int = 1,
        max_frames: int = 60,
        resolution: int = 100,
        X_test: Any = None,
        y_test: Any = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        where = "DecisionBoundaryRecorder"
        if every < 1:
            raise ValueError(f"{where}: every must be >= 1, got {every}")
        if max_frames < 2:
            raise ValueError(f"{where}: max_frames must be >= 2, got {max_frames}")
        self.X = _check_2d(X, "X", where)
        self.y = _check_y(y, self.X, "y", where)
        self.X_test = None if X_test is None else _check_2d(X_test, "X_test", where)
        self.y_test = None if y_test is None else _check_y(y_test, self.X_test, "y_test", where)
        self.every = self.initial_every = int(every)
        self.max_frames = int(max_frames)
        self.resolution = int(resolution)
        self.class_names = None if class_names is None else list(class_names)
        arrays = [self.X] if self.X_test is None else [self.X, self.X_test]
        self._grid, self._extent = _grid(arrays, self.resolution)
        self._frames: list[tuple[int, np.ndarray, dict[str, float]]] = []
        self._last_epoch = 0
        self._last_logs: dict[str, float] = {}
        self._classes: np.ndarray | None = None

    # -- callback protocol -------------------------------------------------------------------

    def on_train_begin(self, estimator: Any) -> None:
        """Nothing to do: a new run is detected from the epoch counter going back."""

    def on_epoch_end(self, estimator: Any, epoch: int, logs: Mapping[str, Any]) -> None:
        """Record a frame when ``epoch`` is a multiple of ``every``; never stops training."""
        if epoch <= self._last_epoch:  # a fresh fit (not partial_fit) restarted the count
            self.reset()
        self._last_epoch = epoch
        self._last_logs = _numeric(logs)
        if epoch % self.every == 0:
            self._record(estimator, epoch)
            if len(self._frames) > self.max_frames:
                self._thin()
        return None

    def on_train_end(self, estimator: Any) -> None:
        """Make sure the last frame shows the trained model."""
        if self._last_epoch == 0 or (self._frames and self._frames[-1][0] == self._last_epoch):
            return
        if len(self._frames) >= self.max_frames:
            self._frames.pop()  # keep the bound: the final state replaces the last periodic frame
        self._record(estimator, self._last_epoch)

    # -- state ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all frames and restore the initial ``every``."""
        self._frames.clear()
        self.every = self.initial_every
        self._last_epoch = 0

    @property
    def epochs(self) -> list[int]:
        return [epoch for epoch, _, _ in self._frames]

    @property
    def n_frames(self) -> int:
        return len(self._frames)

    def _record(self, estimator: Any, epoch: int) -> None:
        if self._classes is None:
            self._classes = _classes(estimator, self.y, self.y_test)
        proba = _probabilities(estimator, self._grid, self._classes)
        # float32 halves the memory of up to max_frames grids; plenty for colours.
        self._frames.append((epoch, proba.astype(np.float32), dict(self._last_logs)))

    def _thin(self) -> None:
        self.every *= 2
        self._frames = [f for f in self._frames if f[0] % self.every == 0]

    # -- output --------------------------------------------------------------------------------

    def plot_frame(self, index: int = -1, *, ax: Axes | None = None) -> Figure:
        """Draw one recorded frame (default: the last) as a Figure."""
        if not self._frames:
            raise ValueError("DecisionBoundaryRecorder has no frames yet: train with it first")
        epoch, proba, logs = self._frames[index]
        ax = _new_axes(ax)
        self._draw_static(ax)
        _draw_boundary(ax, proba.astype(np.float64), self._extent, self.resolution)
        ax.set_title(_frame_title(epoch, logs))
        return ax.figure

    def _draw_static(self, ax: Axes) -> None:
        classes = self._classes if self._classes is not None else np.unique(self.y)
        names = _names(classes, self.class_names)
        suffix = " (train)" if self.X_test is not None else ""
        _scatter(ax, self.X, _label_index(self.y, classes), names, "o", suffix, 14)
        if self.X_test is not None:
            _scatter(ax, self.X_test, _label_index(self.y_test, classes), names, "^", " (test)", 24)
        ax.set_xlim(self._extent[0], self._extent[1])
        ax.set_ylim(self._extent[2], self._extent[3])
        ax.set_xticks([])
        ax.set_yticks([])

    def save_gif(
        self,
        path: str | os.PathLike[str],
        *,
        fps: float = 10,
        dpi: int = 80,
        hold_last: float = 1.5,
    ) -> Path:
        """Write the recorded frames as an animated GIF (rendered with Agg, saved with Pillow).

        Parameters
        ----------
        path : path-like
        fps : float
            Frames per second.
        dpi : int
            Resolution of each frame (a 5 x 5 inch figure).
        hold_last : float
            Seconds the final frame stays on screen before the loop restarts.

        Returns
        -------
        Path
            ``path``.
        """
        from PIL import Image

        if not self._frames:
            raise ValueError("DecisionBoundaryRecorder has no frames yet: train with it first")
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        fig = Figure(figsize=(5, 5), dpi=dpi, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        self._draw_static(ax)
        first = self._frames[0][1].astype(np.float64)
        image = _draw_boundary(ax, first, self._extent, self.resolution)
        images = []
        for epoch, proba, logs in self._frames:
            # Only the map and the title change; the scatter points are drawn once.
            image.set_data(_proba_image(proba.astype(np.float64), self.resolution))
            ax.set_title(_frame_title(epoch, logs))
            canvas.draw()
            rgba = np.asarray(canvas.buffer_rgba())
            images.append(Image.fromarray(rgba[..., :3].copy()))
        frame_ms = int(round(1000 / fps))
        durations = [frame_ms] * len(images)
        durations[-1] = max(frame_ms, int(hold_last * 1000))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        images[0].save(
            path,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=durations,
            loop=0,
            disposal=1,
        )
        return path


def _numeric(logs: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for key in ("loss", "train_score", "val_loss", "val_score"):
        value = logs.get(key) if logs else None
        if isinstance(value, (int, float, np.floating)) and np.isfinite(value):
            out[key] = float(value)
    return out


def _frame_title(epoch: int, logs: Mapping[str, float]) -> str:
    parts = [f"epoch {epoch}"]
    if "loss" in logs:
        parts.append(f"loss {logs['loss']:.3f}")
    if "train_score" in logs:
        parts.append(f"acc {logs['train_score']:.3f}")
    if "val_score" in logs:
        parts.append(f"val acc {logs['val_score']:.3f}")
    return "   ".join(parts)
