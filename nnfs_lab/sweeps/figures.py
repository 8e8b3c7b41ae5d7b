"""Figures a sweep logs: a trial's learning curves and decision boundary, the study's Optuna
plots, and the best configuration's training animation.

Every function here is best-effort: a figure that cannot be drawn is reported, never fatal.
The process entry points (CLI, spawned workers, Makefile) select matplotlib's Agg backend.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["best_trial_animation", "study_plots", "trial_plots"]


def _save(fig: Any, path: Path, dpi: int) -> Path:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def trial_plots(history: list[dict], fitted: tuple | None, out: Path, title: str,
                *, boundary: bool) -> list[Path]:  # fmt: skip
    """Learning curves of ``history`` and, for 2-D data, ``fitted``'s decision boundary.

    ``fitted`` is ``(estimator, X_tr, y_tr, X_va, y_va)`` or None.
    """
    from nnfs_lab import plots

    paths: list[Path] = []
    if history:
        try:
            fig = plots.plot_learning_curves(history, title=title)
            paths.append(_save(fig, out / "learning_curves.png", 80))
        except Exception as exc:  # a broken plot must not fail the trial
            warnings.warn(f"learning-curve plot failed: {exc}", stacklevel=2)
    if boundary and fitted is not None and fitted[1].shape[1] == 2:
        est, X_tr, y_tr, X_va, y_va = fitted
        try:
            fig = plots.plot_decision_boundary(est, X_tr, y_tr, X_test=X_va, y_test=y_va,
                                               resolution=80, title=title)  # fmt: skip
            paths.append(_save(fig, out / "decision_boundary.png", 80))
        except Exception as exc:  # e.g. the model never finished one epoch
            warnings.warn(f"decision-boundary plot failed: {exc}", stacklevel=2)
    return paths


def study_plots(
    study: Any, seed: int, out: Path, skipped: Callable[[str, str], None]
) -> list[Path]:
    """Optuna's optimization history, fANOVA importances and intermediate values as PNGs.

    ``skipped(name, reason)`` is told about each figure that could not be drawn (e.g.
    importances need two completed trials).
    """
    import optuna
    import optuna.visualization.matplotlib as vis

    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    makers = {
        "optimization_history.png": (lambda: vis.plot_optimization_history(study), None),
        "param_importances.png": (
            lambda: vis.plot_param_importances(study, evaluator=evaluator),
            f"Hyperparameter importances, fANOVA (seed {seed})",
        ),
        "intermediate_values.png": (lambda: vis.plot_intermediate_values(study), None),
    }
    paths = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ExperimentalWarning on every matplotlib plot
        for name, (make, title) in makers.items():
            try:
                ax = make()
                ax0 = ax if hasattr(ax, "figure") else ax.flat[0]
                if title:
                    ax0.set_title(title, loc="left", fontsize=10)  # replaces Optuna's
                ax0.figure.tight_layout()
                paths.append(_save(ax0.figure, out / name, 90))
            except Exception as exc:
                skipped(name, str(exc))
    return paths


def best_trial_animation(family: Any, params: dict[str, Any], fold: tuple[np.ndarray, ...],
                         *, seed: int, max_epochs: int, out: Path) -> Path | None:  # fmt: skip
    """GIF of ``params``' decision boundary while it trains on ``fold`` (2-D data only).

    ``fold`` is ``(X_tr, y_tr, X_va, y_va)``, already scaled.
    """
    X_tr, y_tr, X_va, y_va = fold
    if X_tr.shape[1] != 2:
        return None
    from nnfs_lab.plots import DecisionBoundaryRecorder

    est = family.build(params, seed=seed, max_epochs=max_epochs)
    rec = DecisionBoundaryRecorder(X_tr, y_tr, X_test=X_va, y_test=y_va, max_frames=40,
                                   resolution=60)  # fmt: skip

    def on_epoch(logs: dict) -> None:
        rec.on_epoch_end(est, int(logs["epoch"]), logs)

    try:
        family.train(est, X_tr, y_tr, X_val=X_va, y_val=y_va, on_epoch=on_epoch)
        rec.on_train_end(est)
        return rec.save_gif(out / "training_animation.gif", fps=8, dpi=60)
    except Exception as exc:  # an animation is a nicety; never fail the sweep for it
        warnings.warn(f"best-trial animation failed: {exc}", stacklevel=2)
        return None
