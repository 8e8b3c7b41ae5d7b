"""Trainable layers: :class:`Dense` and :class:`Dropout`, and the :class:`Layer` base they share.

Every layer follows one protocol: ``forward(x, *, training)`` returns the output and keeps what
``backward`` needs; ``backward(dout)`` returns the gradient with respect to the input and fills the
parameter gradients in :attr:`Layer.grads` (parallel to :attr:`Layer.params`).

In training mode, outputs and gradients are written into buffers owned by the layer (one set per
batch shape), so the training loop allocates no batch- or parameter-sized arrays per step. In
inference mode (``training=False``) fresh arrays are returned, so callers may keep them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .scratch import Buffered, fill_ones

__all__ = ["Buffered", "Layer", "Dense", "Dropout", "INITIALIZERS"]

INITIALIZERS = ("book", "glorot", "he")


class Layer(Buffered):
    """Base class: parameter bookkeeping and the config protocol."""

    #: Whether ``backward`` must compute the input gradient. The model switches it off for the
    #: first layer, whose input gradient nobody consumes.
    need_input_grad: bool = True

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """JSON-serialisable constructor arguments (used by ``Model.save``)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _check_nonneg(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


class Dense(Layer):
    """Fully connected layer ``y = x @ W + b``.

    Parameters
    ----------
    n_inputs, n_neurons : int
        Input and output widths. ``weights`` has shape ``(n_inputs, n_neurons)`` and ``biases``
        ``(1, n_neurons)``, as in the book.
    weight_l1, weight_l2, bias_l1, bias_l2 : float
        Regularization strengths. The penalty is ``l1 * sum|w| + l2 * sum(w**2)`` (the book's form,
        no 1/2 factor), so the gradient adds ``l1 * sign(w) + 2 * l2 * w``.
    init : {"book", "glorot", "he"}
        ``"book"``: ``0.01 * N(0, 1)``; ``"glorot"``: uniform in ``±sqrt(6 / (fan_in + fan_out))``;
        ``"he"``: ``N(0, 2 / fan_in)``. Biases start at zero.
    init_scale : float or None
        With ``init="book"``, the standard deviation of the normal draw (default 0.01; the book
        uses 0.1 for its sine regression, where 0.01 does not train).
    rng : numpy.random.Generator, int or None
        Source of the initial weights. Never the global NumPy generator.
    dtype : numpy dtype
        Parameter dtype (float32 or float64); inputs are expected in the same dtype.
    """

    def __init__(
        self,
        n_inputs: int,
        n_neurons: int,
        *,
        weight_l1: float = 0.0,
        weight_l2: float = 0.0,
        bias_l1: float = 0.0,
        bias_l2: float = 0.0,
        init: str = "book",
        init_scale: float | None = None,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        for name, value in (("n_inputs", n_inputs), ("n_neurons", n_neurons)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if init not in INITIALIZERS:
            raise ValueError(f"init must be one of {INITIALIZERS}, got {init!r}")
        if init_scale is not None and (init != "book" or not init_scale > 0):
            raise ValueError(
                f"init_scale must be a positive float used with init='book', got {init_scale!r} "
                f"with init={init!r}"
            )
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        self.n_inputs, self.n_neurons = int(n_inputs), int(n_neurons)
        self.weight_l1 = _check_nonneg("weight_l1", weight_l1)
        self.weight_l2 = _check_nonneg("weight_l2", weight_l2)
        self.bias_l1 = _check_nonneg("bias_l1", bias_l1)
        self.bias_l2 = _check_nonneg("bias_l2", bias_l2)
        self.init = init
        self.init_scale = init_scale
        self.dtype = dtype
        rng = np.random.default_rng(rng)
        fan_in, fan_out = self.n_inputs, self.n_neurons
        shape = (fan_in, fan_out)
        if init == "book":
            w = (0.01 if init_scale is None else init_scale) * rng.standard_normal(shape)
        elif init == "glorot":
            bound = np.sqrt(6.0 / (fan_in + fan_out))
            w = rng.uniform(-bound, bound, shape)
        else:
            w = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        self.weights = w.astype(dtype)
        self.biases = np.zeros((1, fan_out), dtype=dtype)
        self.dweights = np.zeros_like(self.weights)
        self.dbiases = np.zeros_like(self.biases)
        self.params = [self.weights, self.biases]
        self.grads = [self.dweights, self.dbiases]
        self.inputs: np.ndarray | None = None

    def _rebind(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Adopt new storage for ``(weights, biases)`` and their gradients (same shapes and values):
        :meth:`Model.finalize` moves them into views of one flat array per model."""
        self.weights, self.biases = params
        self.dweights, self.dbiases = grads
        self.params = [self.weights, self.biases]
        self.grads = [self.dweights, self.dbiases]

    @property
    def regularized(self) -> bool:
        return bool(self.weight_l1 or self.weight_l2 or self.bias_l1 or self.bias_l2)

    def set_weights(self, weights: np.ndarray, biases: np.ndarray) -> None:
        """Copy new values into the parameter arrays (in place, so optimizer state stays bound)."""
        weights = np.asarray(weights)
        biases = np.asarray(biases).reshape(1, -1)
        if weights.shape != self.weights.shape or biases.shape != self.biases.shape:
            raise ValueError(
                f"Dense({self.n_inputs}, {self.n_neurons}) expects weights "
                f"{self.weights.shape} and biases {self.biases.shape}, got {weights.shape} "
                f"and {biases.shape}"
            )
        self.weights[...] = weights
        self.biases[...] = biases

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self.inputs = x
        out = self._buf("out", (x.shape[0], self.n_neurons), x.dtype) if training else None
        if isinstance(x, np.ndarray):
            out = np.matmul(x, self.weights, out=out)  # (n_samples, n_neurons)
        else:
            # A SciPy sparse batch (first layer only): its own product costs O(nnz) and
            # returns a dense array, so X is never densified.
            out = _assign(out, x @ self.weights)
        out += self.biases
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        x = self.inputs
        if isinstance(x, np.ndarray):
            np.matmul(x.T, dout, out=self.dweights)
        else:
            self.dweights[...] = x.T @ dout  # sparse.T @ dense: O(nnz * n_neurons)
        # Column sums as ones @ dout: a BLAS call is several times faster than np.sum's
        # reduction over axis 0 at these sizes.
        ones = self._buf("ones", (1, dout.shape[0]), dout.dtype, fill_ones)
        np.matmul(ones, dout, out=self.dbiases)
        if self.regularized:
            self._add_regularization_grads()
        if not self.need_input_grad:
            return None
        dx = self._buf("dx", x.shape, dout.dtype)
        return np.matmul(dout, self.weights.T, out=dx)  # (n_samples, n_inputs)

    def _add_regularization_grads(self) -> None:
        for param, grad, l1, l2, name in (
            (self.weights, self.dweights, self.weight_l1, self.weight_l2, "tw"),
            (self.biases, self.dbiases, self.bias_l1, self.bias_l2, "tb"),
        ):
            if not (l1 or l2):
                continue
            tmp = self._buf(name, param.shape, param.dtype)
            if l1:
                np.sign(param, out=tmp)
                tmp *= l1
                grad += tmp
            if l2:
                np.multiply(param, 2.0 * l2, out=tmp)
                grad += tmp

    def regularization_loss(self) -> float:
        """``l1 * sum|w| + l2 * sum(w**2)`` over weights and biases."""
        total = 0.0
        for param, l1, l2 in (
            (self.weights, self.weight_l1, self.weight_l2),
            (self.biases, self.bias_l1, self.bias_l2),
        ):
            flat = param.ravel()
            if l1:
                total += l1 * float(
                    np.abs(param, out=self._buf("ta", param.shape, param.dtype)).sum()
                )
            if l2:
                total += l2 * float(np.dot(flat, flat))
        return total

    def get_config(self) -> dict[str, Any]:
        return {
            "n_inputs": self.n_inputs,
            "n_neurons": self.n_neurons,
            "weight_l1": self.weight_l1,
            "weight_l2": self.weight_l2,
            "bias_l1": self.bias_l1,
            "bias_l2": self.bias_l2,
            "init": self.init,
            "init_scale": self.init_scale,
            "dtype": self.dtype.name,
        }


def _assign(out: np.ndarray | None, value: np.ndarray) -> np.ndarray:
    """``value`` copied into ``out`` (a scratch buffer), or ``value`` itself without one."""
    value = np.asarray(value)
    if out is None:
        return value
    out[...] = value
    return out


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate`` and scale the
    survivors by ``1 / (1 - rate)``; at inference, the identity.

    Parameters
    ----------
    rate : float
        Fraction of units dropped, in ``[0, 1)`` (the book's convention: ``Dropout(0.1)`` drops
        10%).
    rng : numpy.random.Generator, int or None
        Source of the masks; :meth:`Model.finalize` supplies the model's generator when None.
    """

    def __init__(self, rate: float, *, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        rate = float(rate)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}")
        self.rate = rate
        self.rng = None if rng is None else np.random.default_rng(rng)
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        if self.rng is None:
            self.rng = np.random.default_rng()
        # Draw uniforms into a reusable buffer, then fold keep-mask and 1/(1-p) scale into one
        # array so backward is a single multiply.
        mask = self._buf("mask", x.shape, x.dtype)
        self.rng.random(dtype=x.dtype, out=mask)
        np.greater_equal(mask, self.rate, out=mask)
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask
        return np.multiply(x, mask, out=self._buf("out", x.shape, x.dtype))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._mask is None:
            return dout
        return np.multiply(dout, self._mask, out=self._buf("dx", dout.shape, dout.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
