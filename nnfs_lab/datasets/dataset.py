"""The :class:`Dataset` every loader returns, and the seed type every generator accepts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Dataset", "RandomState"]

RandomState = int | np.random.Generator | None


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A loaded dataset.

    Attributes
    ----------
    name : str
        Registry name.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        int64 class indices for classification, float for regression.
    task : {'classification', 'regression'}
    target_names : list of str or None
        Class names, index ``k`` naming class ``k``; None for regression.
    feature_names : list of str
    description : str
    X_test, y_test : ndarray or None
        The official test split, for datasets that have one (``fashion_mnist``).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    target_names: list[str] | None
    feature_names: list[str]
    description: str
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def n_classes(self) -> int | None:
        """Number of classes (None for regression)."""
        return None if self.target_names is None else len(self.target_names)

    def __repr__(self) -> str:
        # The default repr would print every array in full.
        def shape(a: np.ndarray | None) -> str:
            return "None" if a is None else f"{a.shape} {a.dtype}"

        test = f", X_test={shape(self.X_test)}" if self.X_test is not None else ""
        classes = f", n_classes={self.n_classes}" if self.n_classes is not None else ""
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, X={shape(self.X)}, "
            f"y={shape(self.y)}{classes}{test})"
        )
