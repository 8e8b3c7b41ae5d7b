"""Losses: categorical and binary cross-entropy, mean squared and mean absolute error, the fused
softmax + cross-entropy and sigmoid + binary cross-entropy, and the regularization loss.

Every loss has

- ``forward(y_pred, y_true)``: per-sample losses, shape ``(n_samples,)``;
- ``calculate(y_pred, y_true, sample_weight=None)``: their (weighted) mean, a float;
- ``backward(y_pred, y_true, sample_weight=None)``: gradient of that mean w.r.t. ``y_pred``.

With sample weights the mean is ``sum(w * l) / sum(w)``, so integer weights act like repeated
samples. ``calculate`` and ``backward`` validate their inputs; the model's training loop calls the
unchecked ``_sum`` / ``_grad`` after validating once per fit.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .layers import Dense, Layer
from .scratch import Buffered, fill_arange

__all__ = [
    "Loss",
    "CategoricalCrossentropy",
    "BinaryCrossentropy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "SoftmaxCategoricalCrossentropy",
    "SigmoidBinaryCrossentropy",
    "regularization_loss",
    "check_labels",
]

EPS = 1e-7  # the book's clip: log(0) and division by 0 never happen


class Loss(Buffered):
    """Base class. Subclasses implement ``forward`` and ``_grad``."""

    #: Whether targets are class indices (sparse) allowed.
    sparse_targets = False

    def check(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """Validate ``y_true`` against ``y_pred`` and return it in a usable form."""
        y_pred = np.asarray(y_pred)
        y_true = np.asarray(y_true)
        if y_pred.ndim != 2:
            raise ValueError(f"y_pred must be 2-D (n_samples, n_outputs), got shape {y_pred.shape}")
        if y_true.shape[0] != y_pred.shape[0]:
            raise ValueError(
                f"y_true has {y_true.shape[0]} samples but y_pred has {y_pred.shape[0]}"
            )
        if not np.all(np.isfinite(y_pred)):
            raise ValueError("y_pred contains NaN or infinity")
        if y_true.ndim == 1 and not self.sparse_targets:
            y_true = y_true.reshape(-1, 1)
        if y_true.ndim == 2 and y_true.shape != y_pred.shape:
            raise ValueError(f"y_true shape {y_true.shape} does not match y_pred {y_pred.shape}")
        if y_true.dtype.kind == "f" and not np.all(np.isfinite(y_true)):
            raise ValueError("y_true contains NaN or infinity")
        return y_true

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grad(
        self, y_pred: np.ndarray, y_true: np.ndarray, scale: np.ndarray | float
    ) -> np.ndarray:
        """Gradient of ``sum(scale_i * l_i)``; ``scale`` is ``1/n`` or ``w / sum(w)``."""
        raise NotImplementedError

    def _sum(self, y_pred: np.ndarray, y_true: np.ndarray, w: np.ndarray | None) -> float:
        losses = self.forward(y_pred, y_true)
        return float(losses.sum() if w is None else np.dot(losses, w))

    @staticmethod
    def _scale(n: int, sample_weight: np.ndarray | None, dtype) -> np.ndarray | float:
        if sample_weight is None:
            return 1.0 / n
        w = np.asarray(sample_weight, dtype=dtype)
        return (w / w.sum())[:, None]

    def calculate(
        self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> float:
        """Mean (or weighted mean) data loss."""
        y_true = self.check(y_pred, y_true)
        w = _check_weights(sample_weight, len(y_true))
        total = self._sum(np.asarray(y_pred), y_true, w)
        return total / (len(y_true) if w is None else float(w.sum()))

    def backward(
        self, y_pred: np.ndarray, y_true: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> np.ndarray:
        """Gradient of :meth:`calculate` with respect to ``y_pred`` (a fresh array)."""
        y_true = self.check(y_pred, y_true)
        w = _check_weights(sample_weight, len(y_true))
        y_pred = np.asarray(y_pred)
        return self._grad(y_pred, y_true, self._scale(len(y_pred), w, y_pred.dtype)).copy()

    def get_config(self) -> dict:
        return {}


def _check_weights(sample_weight: np.ndarray | None, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if w.shape[0] != n:
        raise ValueError(f"sample_weight has {w.shape[0]} entries, expected {n}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("sample_weight must be finite, non-negative and not all zero")
    return w


def check_labels(y: np.ndarray, n_classes: int, name: str = "y") -> np.ndarray:
    """Class-index targets as int64, each in ``[0, n_classes)``."""
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise ValueError(f"{name}: class labels must be integers, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{name}: labels must be in [0, {n_classes - 1}] for {n_classes} outputs; got "
            f"values in [{y.min()}, {y.max()}]"
        )
    return y.astype(np.int64, copy=False)


class CategoricalCrossentropy(Loss):
    """``-log p[true class]``, predictions clipped to ``[1e-7, 1 - 1e-7]``.

    Targets are class indices ``(n_samples,)`` or one-hot rows ``(n_samples, n_classes)``.
    """

    sparse_targets = True

    def check(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        y_true = super().check(y_pred, y_true)
        if y_true.ndim == 1:
            y_true = check_labels(y_true, np.shape(y_pred)[1])
        return y_true

    def _rows(self, n: int) -> np.ndarray:
        """``np.arange(n)``, kept between batches."""
        return self._buf("rows", (n,), np.intp, fill_arange)

    def _true_probs(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        if y_true.ndim == 1:
            p = y_pred[self._rows(len(y_pred)), y_true]
        else:
            p = np.einsum("ij,ij->i", y_pred, y_true.astype(y_pred.dtype, copy=False))
        # Two ufunc calls: cheaper than np.clip's Python wrapper on batch-sized vectors.
        np.maximum(p, EPS, out=p)
        return np.minimum(p, 1 - EPS, out=p)

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        p = self._true_probs(y_pred, y_true)
        return np.negative(np.log(p, out=p), out=p)

    def _sum(self, y_pred, y_true, w):
        logp = np.log(self._true_probs(y_pred, y_true))
        return -float(logp.sum() if w is None else np.dot(logp, w))

    def _grad(self, y_pred, y_true, scale):
        # d(-log clip(p_y))/dp: -1/p_y at the label, 0 elsewhere (and 0 where p_y was clipped).
        dx = self._buf("dx", y_pred.shape, y_pred.dtype)
        dx.fill(0)
        if y_true.ndim == 1:
            rows = self._rows(len(y_pred))
            p = y_pred[rows, y_true]
            g = np.where((p > EPS) & (p < 1 - EPS), -1.0 / np.maximum(p, EPS), 0.0)
            dx[rows, y_true] = g
        else:
            yt = y_true.astype(y_pred.dtype, copy=False)
            inside = (y_pred > EPS) & (y_pred < 1 - EPS)
            np.divide(-yt, np.clip(y_pred, EPS, 1 - EPS), out=dx, where=inside)
        dx *= scale
        return dx


class SoftmaxCategoricalCrossentropy(CategoricalCrossentropy):
    """Softmax followed by categorical cross-entropy, with the fused gradient ``(p - onehot) / n``
    taken w.r.t. the softmax *input*. ``y_pred`` here is the softmax output ``p``."""

    def _grad(self, y_pred, y_true, scale):
        dx = self._buf("dx", y_pred.shape, y_pred.dtype)
        np.copyto(dx, y_pred)
        if y_true.ndim == 1:
            # Subtract 1 at the label index: no one-hot matrix (np.eye would be float64).
            dx[self._rows(len(dx)), y_true] -= 1
        else:
            dx -= y_true
        dx *= scale
        return dx


class BinaryCrossentropy(Loss):
    """Mean over outputs of ``-(y log p + (1 - y) log(1 - p))``, p clipped to ``[1e-7, 1-1e-7]``.

    Targets are 0/1 with the shape of ``y_pred`` (``(n,)`` is read as one output).

    Parameters
    ----------
    sum_outputs : bool, default=False
        Sum over the outputs instead of the book's mean: scikit-learn's multilabel loss, whose
        gradient per label does not shrink as labels are added (so learning rates transfer).
    """

    def __init__(self, sum_outputs: bool = False) -> None:
        self.sum_outputs = bool(sum_outputs)

    def _outputs(self, y_pred: np.ndarray) -> int:
        """The divisor over outputs: their number (the mean), or 1 (the sum)."""
        return 1 if self.sum_outputs else y_pred.shape[1]

    def forward(self, y_pred, y_true):
        p = np.clip(y_pred, EPS, 1 - EPS)
        y = y_true.astype(y_pred.dtype, copy=False)
        losses = -(y * np.log(p) + (1 - y) * np.log1p(-p))
        return losses.sum(axis=1) / self._outputs(y_pred)

    def _grad(self, y_pred, y_true, scale):
        p = np.clip(y_pred, EPS, 1 - EPS)
        y = y_true.astype(y_pred.dtype, copy=False)
        inside = (y_pred > EPS) & (y_pred < 1 - EPS)
        g = np.where(inside, -(y / p - (1 - y) / (1 - p)), 0.0).astype(y_pred.dtype, copy=False)
        g *= scale
        g /= self._outputs(y_pred)
        return g

    def get_config(self) -> dict:
        # The default is left out, so archives written before the option still compare equal.
        return {"sum_outputs": True} if self.sum_outputs else {}


class SigmoidBinaryCrossentropy(BinaryCrossentropy):
    """Sigmoid followed by binary cross-entropy, with the fused gradient ``(p - y) / (n * m)``
    w.r.t. the sigmoid input (stable where the chained form would divide by ``p (1 - p)``)."""

    def _grad(self, y_pred, y_true, scale):
        dx = self._buf("dx", y_pred.shape, y_pred.dtype)
        np.subtract(y_pred, y_true, out=dx, casting="unsafe")
        dx *= scale
        dx /= self._outputs(y_pred)
        return dx


class MeanSquaredError(Loss):
    """Mean over outputs of ``(y - p)**2``."""

    def forward(self, y_pred, y_true):
        diff = y_pred - y_true
        return np.einsum("ij,ij->i", diff, diff) / y_pred.shape[1]

    def _grad(self, y_pred, y_true, scale):
        dx = self._buf("dx", y_pred.shape, y_pred.dtype)
        np.subtract(y_pred, y_true, out=dx, casting="unsafe")
        dx *= scale
        dx *= 2.0 / y_pred.shape[1]
        return dx


class MeanAbsoluteError(Loss):
    """Mean over outputs of ``|y - p|``."""

    def forward(self, y_pred, y_true):
        return np.abs(y_pred - y_true).mean(axis=1)

    def _grad(self, y_pred, y_true, scale):
        dx = self._buf("dx", y_pred.shape, y_pred.dtype)
        np.subtract(y_pred, y_true, out=dx, casting="unsafe")
        np.sign(dx, out=dx)
        dx *= scale
        dx /= y_pred.shape[1]
        return dx


def regularization_loss(layers: Iterable[Layer]) -> float:
    """Sum of ``l1 * sum|p| + l2 * sum(p**2)`` over the weights and biases of every Dense layer."""
    return float(sum(layer.regularization_loss() for layer in layers if isinstance(layer, Dense)))
