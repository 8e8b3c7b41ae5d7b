"""Activations: ReLU, Sigmoid, Tanh, Softmax, Linear.

Each has ``forward``/``backward`` (the layer protocol) and ``predictions(outputs)``, which turns
outputs into the model's predictions (class indices, 0/1 labels or the values themselves).
"""

from __future__ import annotations

import numpy as np

from .layers import Layer
from .scratch import fill_ones

__all__ = ["Activation", "ReLU", "Sigmoid", "Tanh", "Softmax", "Linear"]


class Activation(Layer):
    """Parameter-free layer; keeps its output (or input) for the backward pass."""

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        return outputs

    def _out(self, x: np.ndarray, training: bool) -> np.ndarray | None:
        return self._buf("out", x.shape, x.dtype) if training else None


class ReLU(Activation):
    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self.output = np.maximum(x, 0, out=self._out(x, training))
        return self.output

    def backward(self, dout: np.ndarray) -> np.ndarray:
        # Gradient passes where the unit was active; output > 0 <=> input > 0.
        dx = self._buf("dx", dout.shape, dout.dtype)
        mask = self._buf("mask", dout.shape, np.bool_)
        np.greater(self.output, 0, out=mask)
        return np.multiply(dout, mask, out=dx)


class Sigmoid(Activation):
    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        out = self._out(x, training)
        # 1 / (1 + exp(-x)) computed in place; exp overflow for x << 0 gives inf -> 0, which is
        # the correct limit, so the warning is silenced rather than the input clipped.
        with np.errstate(over="ignore"):
            out = np.negative(x, out=out)
            np.exp(out, out=out)
        out += 1.0
        np.reciprocal(out, out=out)
        self.output = out
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = self._buf("dx", dout.shape, dout.dtype)
        np.subtract(1.0, self.output, out=dx)
        dx *= self.output
        dx *= dout
        return dx

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        return (outputs > 0.5).astype(np.int64)


class Tanh(Activation):
    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self.output = np.tanh(x, out=self._out(x, training))
        return self.output

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = self._buf("dx", dout.shape, dout.dtype)
        np.multiply(self.output, self.output, out=dx)
        np.subtract(1.0, dx, out=dx)
        dx *= dout
        return dx


class Softmax(Activation):
    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if not training and np.isinf(x).any():
            # Logits that overflowed (inputs far outside the training range): the limit of
            # softmax puts all mass on the +inf logits; inf - inf would give NaN rows.
            big = np.finfo(x.dtype).max
            x = np.clip(x, -big, big)
            with np.errstate(over="ignore"):
                return self._softmax(x, None)
        return self._softmax(x, self._out(x, training), training)

    def _softmax(self, x: np.ndarray, out: np.ndarray | None, training: bool = False):
        n, k = x.shape
        row = self._buf("row", (n, 1), x.dtype) if training else None
        # Shift by the row max so exp never overflows.
        shift = np.maximum.reduce(x, axis=1, keepdims=True, out=row)  # (n_samples, 1)
        out = np.subtract(x, shift, out=out)
        np.exp(out, out=out)
        # Row sums as out @ ones: a reduction over a short last axis costs several times more.
        total = np.matmul(out, self._buf("ones", (k, 1), x.dtype, fill_ones), out=row)
        np.divide(out, total, out=out)
        self.output = out
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        # Row-wise Jacobian-vector product without building the (k, k) Jacobians of the book:
        # dx = s * (dout - sum(dout * s)).
        s = self.output
        dx = self._buf("dx", dout.shape, dout.dtype)
        np.multiply(dout, s, out=dx)
        dot = dx.sum(axis=1, keepdims=True)  # (n_samples, 1)
        np.subtract(dout, dot, out=dx)
        dx *= s
        return dx

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        return outputs.argmax(axis=1)


class Linear(Activation):
    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self.output = x
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout
