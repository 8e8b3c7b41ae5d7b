"""Class-balanced random subsets, shared by the fixed datasets (bundled and Fashion-MNIST)."""

from __future__ import annotations

import numpy as np

__all__ = ["stratified_subset"]


def stratified_subset(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of ``n`` rows of ``y``, as class-balanced as the data allows.

    Parameters
    ----------
    y : ndarray of shape (n_rows,)
        Integer class labels; float targets (regression) get a plain random subset.
    n : int
        Rows to keep.
    rng : Generator
        Source of the shuffle.

    Returns
    -------
    ndarray of int
        Row indices in increasing order, so the subset keeps the data's original order.

    Raises
    ------
    ValueError
        ``n`` exceeds the number of rows.
    """
    if n > len(y):
        raise ValueError(f"asked for {n} samples but the dataset has only {len(y)}")
    perm = rng.permutation(len(y))
    if y.dtype.kind == "f":
        return np.sort(perm[:n])
    # Rank each row within its class (in shuffled order), then take the lowest ranks: the first
    # row of every class, then the second of every class, ... so each class gets n / k rows.
    y_perm = y[perm]
    order = np.argsort(y_perm, kind="stable")
    sorted_y = y_perm[order]
    rank = np.empty(len(y), dtype=np.int64)
    rank[order] = np.arange(len(y)) - np.searchsorted(sorted_y, sorted_y, side="left")
    return np.sort(perm[np.argsort(rank, kind="stable")[:n]])
