"""Figures: decision boundaries (and their evolution as a GIF), learning curves, confusion matrices.

Every function builds a :class:`matplotlib.figure.Figure` directly and returns it; nothing here
imports ``pyplot``, calls ``show`` or selects a backend, so plotting works headless (no display,
any backend) and never changes the backend of an interactive session. Save with
``fig.savefig("out.png")``; in Jupyter a returned Figure displays itself.

Modules: :mod:`~nnfs_lab.plots.boundary` (decision boundary, dataset scatter),
:mod:`~nnfs_lab.plots.curves` (learning curves), :mod:`~nnfs_lab.plots.confusion` and
:mod:`~nnfs_lab.plots.recorder` (the boundary while training, as a GIF).
"""

from __future__ import annotations

from nnfs_lab.plots.boundary import plot_dataset, plot_decision_boundary
from nnfs_lab.plots.confusion import plot_confusion_matrix
from nnfs_lab.plots.curves import plot_learning_curves
from nnfs_lab.plots.recorder import DecisionBoundaryRecorder

__all__ = [
    "DecisionBoundaryRecorder",
    "plot_confusion_matrix",
    "plot_dataset",
    "plot_decision_boundary",
    "plot_learning_curves",
]
