"""nnfs_lab: a fast NumPy from-scratch neural network as scikit-learn estimators, swept with Optuna
and tracked in MLflow.

Heavy dependencies load on first use: ``import nnfs_lab`` imports NumPy only, and
``nnfs_lab.NNFSClassifier`` pulls in scikit-learn when first touched.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "NNFSClassifier": "nnfs_lab.estimators",
    "NNFSRegressor": "nnfs_lab.estimators",
    "Callback": "nnfs_lab.callbacks",
    "EarlyStopping": "nnfs_lab.callbacks",
    "History": "nnfs_lab.callbacks",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nnfs_lab' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
