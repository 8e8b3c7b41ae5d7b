"""Import hygiene: the package and its engine load without the heavy dependencies."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["nnfs_lab", "nnfs_lab.nn", "nnfs_lab.datasets"])
def test_import_does_not_pull_heavy_dependencies(module):
    code = (
        f"import sys, {module}; "
        "heavy = sorted(m for m in ('sklearn', 'mlflow', 'optuna', 'matplotlib', 'pandas') "
        "if m in sys.modules); print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import {module} loaded {out.stdout.strip()}"


def test_estimators_do_not_import_mlflow_or_optuna():
    code = (
        "import sys, nnfs_lab.estimators; "
        "print(','.join(m for m in ('mlflow', 'optuna') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_public_names():
    import nnfs_lab

    assert set(nnfs_lab.__all__) >= {"NNFSClassifier", "NNFSRegressor", "Callback"}
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        nnfs_lab.Nope  # noqa: B018
