"""Tests for the nnfs_lab.plots package: light to import, headless, every public name exported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nnfs_lab import plots


def test_plots_module_does_not_import_pyplot():
    code = (
        "import sys, nnfs_lab.plots, nnfs_lab.datasets;"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_module_selects_a_backend():
    # The backend is the caller's choice (MPLBACKEND, the CLI); a library must not set it.
    for path in Path(plots.__file__).parent.glob("*.py"):
        assert "matplotlib.use(" not in path.read_text(), path.name


def test_public_names():
    assert set(plots.__all__) == {
        "DecisionBoundaryRecorder",
        "plot_confusion_matrix",
        "plot_dataset",
        "plot_decision_boundary",
        "plot_learning_curves",
    }
    for name in plots.__all__:
        assert getattr(plots, name).__module__.startswith("nnfs_lab.plots.")
