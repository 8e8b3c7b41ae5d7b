"""Figures a sweep logs once its study is done: learning curves of the best trials, Optuna's
study plots, and the shipped model's decision boundary while it trained.

Nothing here runs inside a trial (a figure costs more than a small trial's fit). Every function
is best-effort: a figure that cannot be drawn is reported, never fatal. The process entry points
(CLI, spawned workers, Makefile) select matplotlib's Agg backend.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnfs_lab.nn import logs
from nnfs_lab.sweeps.protocol import TRAIN_LOSS, VAL_ACCURACY, VAL_LOSS

__all__ = [
    "log_boundary_frames",
    "log_trial_curves",
    "log_trial_curves_at",
    "plot_importances",
    "study_plots",
]

#: MLflow metric -> the key plots.plot_learning_curves reads.
_CURVE_KEYS = {TRAIN_LOSS: logs.LOSS, VAL_LOSS: logs.VAL_LOSS, VAL_ACCURACY: logs.VAL_SCORE,
               logs.LEARNING_RATE: logs.LEARNING_RATE}  # fmt: skip


def _save(fig: Any, path: Path, dpi: int) -> Path:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=dpi)
    plt.close(fig)  # a no-op for a Figure made without pyplot
    return path


def log_trial_curves(client: Any, run_id: str, title: str) -> bool:
    """Draw a finished trial's learning curves from its MLflow metrics; log them on its run.

    Returns whether a figure was logged.
    """
    from nnfs_lab.plots import plot_learning_curves

    by_step: dict[int, dict[str, float]] = {}
    for metric, key in _CURVE_KEYS.items():
        for m in client.get_metric_history(run_id, metric):
            if m.step >= 1:  # step 0 holds the trial's single values
                by_step.setdefault(m.step, {logs.EPOCH: m.step})[key] = m.value
    if not by_step:
        return False
    try:
        fig = plot_learning_curves([by_step[s] for s in sorted(by_step)], title=title)
        client.log_figure(run_id, fig, "learning_curves.png")
    except Exception as exc:  # a broken plot must not fail the sweep
        warnings.warn(f"learning curves of run {run_id} failed: {exc}", stacklevel=2)
        return False
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")
    return True


def log_trial_curves_at(tracking_uri: str, run_id: str, title: str) -> bool:
    """:func:`log_trial_curves` through a client of its own (a pool job)."""
    from nnfs_lab.tracking import get_client

    return log_trial_curves(get_client(tracking_uri), run_id, title)


def plot_importances(importances: dict[str, float], title: str) -> Any:
    """Hyperparameter importances (already computed) as a horizontal bar chart, largest on top."""
    from matplotlib.figure import Figure

    names = list(importances)[::-1]
    fig = Figure(figsize=(6.4, 0.4 * len(names) + 1.2))
    ax = fig.add_subplot()
    bars = ax.barh(names, [importances[n] for n in names], color="tab:blue")
    ax.bar_label(bars, fmt="%.2f", padding=3, fontsize=8)
    ax.set_xlabel("importance (share of the objective's variance)")
    ax.set_xlim(0, max(1e-9, *importances.values()) * 1.15)
    ax.set_title(title, loc="left", fontsize=10)
    fig.tight_layout()
    return fig


def study_plots(
    study: Any,
    out: Path,
    skipped: Callable[[str, str], None],
    *,
    importances: dict[str, float] | None,
    importance_title: str,
) -> list[Path]:
    """Optuna's optimization history and intermediate values, and the ``importances`` (computed
    once by the caller, who also logs them as metrics) as PNGs.

    ``skipped(name, reason)`` is told about each figure that could not be drawn (e.g.
    importances need two completed trials: ``importances`` is None then).
    """
    import optuna.visualization.matplotlib as vis

    makers = {
        "optimization_history.png": lambda: vis.plot_optimization_history(study),
        "intermediate_values.png": lambda: vis.plot_intermediate_values(study),
    }
    paths = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning on every matplotlib plot
        for name, make in makers.items():
            try:
                ax = make()
                ax0 = ax if hasattr(ax, "figure") else ax.flat[0]
                ax0.figure.tight_layout()
                paths.append(_save(ax0.figure, out / name, 90))
            except Exception as exc:
                skipped(name, str(exc))
    if importances:
        paths.append(_save(plot_importances(importances, importance_title),
                           out / "param_importances.png", 90))  # fmt: skip
    else:
        skipped("param_importances.png", "no importances (fewer than two completed trials?)")
    return paths


def log_boundary_frames(client: Any, run_id: str, recorder: Any, out: Path) -> Path | None:
    """Log a :class:`~nnfs_lab.plots.DecisionBoundaryRecorder`'s frames on ``run_id`` as images
    with ``step=epoch`` (MLflow's UI shows them with a step slider); return the GIF of the same
    frames, written to ``out`` (the caller logs it once), or None when nothing was recorded.
    """
    try:
        for epoch, rgb in recorder.render_frames(dpi=60):
            client.log_image(run_id, rgb, key="decision_boundary", step=int(epoch))
        return recorder.save_gif(out / "training_animation.gif", fps=8, dpi=60)
    except Exception as exc:  # an animation is a nicety; never fail the sweep for it
        warnings.warn(f"decision-boundary frames failed: {exc}", stacklevel=2)
        return None
