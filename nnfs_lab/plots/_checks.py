"""Input checks shared by every 2-D figure: points on the plane, one label per point."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_2d", "check_test_pair", "check_y"]


def check_2d(X: Any, name: str, where: str) -> np.ndarray:
    """``X`` as a finite float array of shape (n_samples, 2); ValueError naming ``where``."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"{where} needs {name} of shape (n_samples, 2): two features to draw on the plane; "
            f"got shape {X.shape}"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{where}: {name} contains NaN or infinite values")
    return X


def check_y(y: Any, X: np.ndarray, name: str, where: str) -> np.ndarray:
    """``y`` as a 1-D array with one label per row of ``X`` (a single column is flattened)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"{where}: {name} must be 1-D with one label per row of X ({len(X)}); "
            f"got shape {y.shape}"
        )
    return y


def check_test_pair(
    X_test: Any, y_test: Any, where: str
) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """Checked test points and labels, or ``(None, None)``; both or neither must be given."""
    if (X_test is None) != (y_test is None):
        raise ValueError(f"{where}: pass both X_test and y_test, or neither")
    if X_test is None:
        return None, None
    X_test = check_2d(X_test, "X_test", where)
    return X_test, check_y(y_test, X_test, "y_test", where)
