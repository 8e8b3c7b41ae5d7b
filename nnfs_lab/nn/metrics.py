"""Accuracy metrics with the book's accumulate-over-an-epoch protocol.

``calculate(predictions, y)`` scores one batch and adds it to the running totals;
``calculate_accumulated()`` returns the score over everything since ``new_pass()``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Accuracy", "CategoricalAccuracy", "RegressionAccuracy", "R2Score"]


class Accuracy:
    """Base class: running (optionally weighted) mean of a per-sample score."""

    def __init__(self) -> None:
        self.new_pass()

    def init(self, y: np.ndarray) -> None:
        """Fit whatever the metric derives from the targets (see :class:`RegressionAccuracy`)."""

    def new_pass(self) -> None:
        self._sum = 0.0
        self._count = 0.0

    def compare(self, predictions: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def calculate(
        self, predictions: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> float:
        hits = self.compare(predictions, y)
        if hits.ndim > 1:
            hits = hits.mean(axis=1)
        if sample_weight is None:
            total = float(np.count_nonzero(hits) if hits.dtype == np.bool_ else hits.sum())
            count = float(hits.shape[0])
        else:
            total, count = float(np.dot(hits, sample_weight)), float(np.sum(sample_weight))
        self._sum += total
        self._count += count
        return total / count if count else float("nan")

    def calculate_accumulated(self) -> float:
        return self._sum / self._count if self._count else float("nan")

    def get_config(self) -> dict:
        return {}


class CategoricalAccuracy(Accuracy):
    """Fraction of correct class predictions.

    Parameters
    ----------
    binary : bool
        Predictions and targets are 0/1 per output (sigmoid outputs, multilabel); otherwise
        class indices, and one-hot targets are turned into indices.
    """

    def __init__(self, *, binary: bool = False) -> None:
        self.binary = bool(binary)
        super().__init__()

    def compare(self, predictions, y):
        if not self.binary and y.ndim == 2:
            y = np.argmax(y, axis=1)
        if self.binary and y.ndim == 1:
            y = y.reshape(-1, 1)
        return predictions == y

    def get_config(self) -> dict:
        return {"binary": self.binary}


class RegressionAccuracy(Accuracy):
    """The book's regression "accuracy": share of predictions within ``std(y) / 250`` of the
    target. The precision is set from the training targets by :meth:`init`."""

    def __init__(self, precision_divisor: float = 250.0) -> None:
        self.precision_divisor = float(precision_divisor)
        self.precision: float | None = None
        super().__init__()

    def init(self, y):
        if self.precision is None:
            self.precision = float(np.std(y)) / self.precision_divisor

    def compare(self, predictions, y):
        if self.precision is None:
            self.init(y)
        return np.abs(predictions - y.reshape(predictions.shape)) < self.precision

    def get_config(self) -> dict:
        return {"precision_divisor": self.precision_divisor}


class R2Score(Accuracy):
    """Coefficient of determination accumulated over batches (uniform average over outputs),
    the score scikit-learn reports for regressors."""

    def new_pass(self) -> None:
        self._n = 0.0
        self._sy = self._syy = self._sres = 0.0

    def calculate(self, predictions, y, sample_weight=None):
        y = y.reshape(predictions.shape)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
        wc = w[:, None]
        self._n = self._n + w.sum()
        self._sy = self._sy + (wc * y).sum(axis=0)
        self._syy = self._syy + (wc * y * y).sum(axis=0)
        self._sres = self._sres + (wc * (y - predictions) ** 2).sum(axis=0)
        return self.calculate_accumulated()

    def calculate_accumulated(self) -> float:
        if not self._n:
            return float("nan")
        ss_tot = self._syy - self._sy**2 / self._n
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1.0 - self._sres / ss_tot, 0.0)
        return float(np.mean(r2))
