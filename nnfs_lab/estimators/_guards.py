"""Clear errors where NumPy would otherwise fail obscurely or return non-finite numbers.

- :func:`check_network_size`: a network too large for this machine is refused by
  ``hidden_layer_sizes`` before anything is allocated (not a ``MemoryError`` mid-build).
- :func:`explain_divergence`: a divergence on data with huge values names the data, not only the
  learning rate.
- :func:`check_outputs`: predictions that overflowed are an error, never returned as NaN/inf.
- :func:`check_classes`: ``partial_fit``'s ``classes`` is a 1-D array of labels without NaN.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nnfs_lab.nn import DivergenceError
from nnfs_lab.nn.checks import all_finite

__all__ = [
    "LARGE_INPUT",
    "check_classes",
    "check_network_size",
    "check_outputs",
    "check_labels",
    "explain_divergence",
    "name_the_input",
]

#: Inputs beyond this magnitude are the likely cause of a divergence: standardized features
#: are O(1), and even raw pixel or currency values stay far below it.
LARGE_INPUT = 1e6
#: Bytes per parameter while training: weights, gradients and up to two optimizer moments.
_COPIES = 4


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return None


def check_network_size(sizes: tuple[int, ...], n_features: int, n_outputs: int, dtype) -> None:
    """Refuse a network whose parameters alone would not fit in this machine's memory.

    Raises
    ------
    ValueError
        Naming ``hidden_layer_sizes``, the parameter count and the memory it needs.
    """
    widths = [n_features, *sizes, n_outputs]
    n_params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    need = n_params * np.dtype(dtype).itemsize * _COPIES
    have = _physical_memory()
    if have is not None and need > have:
        raise ValueError(
            f"Invalid value for parameter 'hidden_layer_sizes': {sizes!r}; the network would "
            f"have {n_params:.3g} parameters (~{need / 2**30:.3g} GiB to train, this machine "
            f"has {have / 2**30:.3g} GiB). Use fewer or smaller hidden layers."
        )


def _largest(a: Any) -> float:
    data = getattr(a, "data", a) if hasattr(a, "tocsr") else a  # sparse: the stored values
    a = np.asarray(data)
    if a.size == 0 or a.dtype.kind not in "biuf":
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.nanmax(np.abs(a)))


def explain_divergence(exc: DivergenceError, X: Any, y: Any | None) -> DivergenceError:
    """``exc``, or a clearer DivergenceError when ``X`` (or the unscaled target ``y``) holds
    values so large that they, not the learning rate, are the likely cause."""
    for name, arr in (("X", X), ("y", y)):
        if arr is None:
            continue
        big = _largest(arr)
        if big > LARGE_INPUT:
            return DivergenceError(
                f"training diverged ({exc}); {name} contains values as large as {big:.3g}, "
                f"which overflow the network's arithmetic: scale {name} first (e.g. "
                "sklearn.preprocessing.StandardScaler) rather than lowering the learning rate"
            )
    return exc


def check_outputs(out: np.ndarray, X: Any) -> np.ndarray:
    """``out`` if every value is finite; else a ValueError naming the inputs' magnitude."""
    if all_finite(out):
        return out
    rows = int(np.count_nonzero(~np.isfinite(out).all(axis=1))) if out.ndim == 2 else 0
    raise ValueError(
        f"the network's outputs overflowed to NaN/inf for {rows or 'some'} of "
        f"{out.shape[0]} samples: X contains values as large as {_largest(X):.3g}, beyond "
        "what the fitted network can represent; scale X as the training data was scaled"
    )


def check_classes(classes: Any) -> np.ndarray:
    """``classes`` of ``partial_fit`` as a sorted 1-D array of unique labels.

    Raises
    ------
    ValueError
        When ``classes`` is not 1-D, contains NaN/None or mixes strings and numbers.
    """
    arr = np.asarray(classes)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"classes must be a non-empty 1-D array of labels, got shape {arr.shape}")
    check_labels(arr, "classes")
    return np.unique(arr)


def check_labels(y: np.ndarray, name: str = "y") -> None:
    """Refuse NaN/None labels and labels mixing strings and numbers (as scikit-learn words it).

    Raises
    ------
    ValueError
        Naming ``name`` and the problem.
    """
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(f"{name} contains NaN; every class label must be a real value")
    if y.dtype.kind != "O":
        return
    values = y.ravel().tolist()
    if any(v is None or (isinstance(v, float) and v != v) for v in values):
        raise ValueError(f"{name} contains None or NaN; every class label must be given")
    if len({isinstance(v, str) for v in values}) > 1:
        raise ValueError(
            f"Mix of label input types (string and number) in {name}: labels must be all "
            "strings or all numbers"
        )


def name_the_input(exc: ValueError, y: Any, *, numeric_y: bool) -> ValueError:
    """scikit-learn's conversion error, saying whether ``y`` or ``X`` holds the non-number."""
    if "could not convert" not in str(exc):
        return exc
    if numeric_y and not hasattr(y, "tocsr"):
        try:
            np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            return ValueError(f"y must hold numbers for a regressor: {exc}")
    return ValueError(f"X must hold numbers: {exc}")
