"""Checks of the arrays a Model trains on and predicts from: shapes, dtypes, finiteness, labels."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import losses as L

__all__ = ["all_finite", "check_inputs", "check_targets", "is_sparse"]


def all_finite(a: np.ndarray) -> bool:
    """No NaN or infinity in ``a``. A finite sum proves it without the array-sized boolean
    temporary of ``isfinite`` (48 MB for MNIST, on every ``partial_fit``); only a sum that is
    not finite (a NaN, an infinity, or an overflow of large values) needs the full check."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(a, axis=None)):
            return True
    return bool(np.isfinite(a).all())


def is_sparse(X: Any) -> bool:
    """Whether ``X`` is a SciPy sparse matrix or array, recognised by duck typing (the engine
    imports nothing but NumPy): it has ``tocsr`` and ``nnz`` and is not an ndarray."""
    return not isinstance(X, np.ndarray) and hasattr(X, "tocsr") and hasattr(X, "nnz")


def check_inputs(X: Any, n_features: int, dtype: Any, name: str = "X", *,
                 check_finite: bool = True) -> np.ndarray:  # fmt: skip
    """``X`` as a 2-D ``dtype`` array with ``n_features`` columns, or a ValueError naming it.

    A sparse ``X`` (see :func:`is_sparse`) stays sparse, in CSR form: only the first Dense
    layer reads it, with a sparse product.
    """
    if is_sparse(X):
        return _check_sparse(X, n_features, dtype, name, check_finite)
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but the first layer expects {n_features}"
        )
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric, got dtype {X.dtype}")
    X = np.asarray(X, dtype=dtype)
    if check_finite and not all_finite(X):
        raise ValueError(f"{name} contains NaN or infinity")
    return X


def _check_sparse(X: Any, n_features: int, dtype: Any, name: str, check_finite: bool) -> Any:
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"{name} must have shape (n_samples, {n_features}), got {X.shape}")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric, got dtype {X.dtype}")
    # CSR: minibatches are row slices and row gathers, cheap only in this format.
    X = X.tocsr().astype(dtype, copy=False)
    if check_finite and not all_finite(X.data):
        raise ValueError(f"{name} contains NaN or infinity")
    return X


def check_targets(y: Any, n: int, loss: Any, n_outputs: int, dtype: Any, name: str = "y", *,
                  check_finite: bool = True) -> np.ndarray:  # fmt: skip
    """``y`` shaped and typed for ``loss`` (class indices for categorical cross-entropy)."""
    y = np.asarray(y)
    if y.shape[0] != n:
        raise ValueError(f"{name} has {y.shape[0]} samples but X has {n}")
    if y.ndim == 1 and isinstance(loss, L.CategoricalCrossentropy):
        return L.check_labels(y, n_outputs, name)
    y = y.reshape(n, -1) if y.ndim == 1 else y
    if y.ndim != 2 or y.shape[1] != n_outputs:
        raise ValueError(f"{name} must have shape ({n},) or ({n}, {n_outputs}), got {y.shape}")
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric, got dtype {y.dtype}")
    y = y.astype(dtype, copy=False)
    if check_finite and not all_finite(y):
        raise ValueError(f"{name} contains NaN or infinity")
    if isinstance(loss, L.BinaryCrossentropy) and not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{name} must be 0/1 for binary cross-entropy")
    return y
