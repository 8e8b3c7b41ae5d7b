"""The book's Model API: ``add``, ``set``, ``finalize``, ``train``, ``evaluate``, ``predict`` and
parameter/model persistence, built for speed (no allocation per step beyond tiny index arrays).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from . import activations as A
from . import logs
from . import losses as L
from . import metrics as M
from . import optimizers as O
from .archive import ModelArchive
from .checks import check_inputs, check_targets
from .layers import Dense, Dropout, Layer
from .scratch import Buffered

__all__ = ["Model", "DivergenceError"]


class DivergenceError(FloatingPointError, ValueError):
    """Training produced a non-finite loss or parameters (typically a learning rate that is too
    high). A ``ValueError`` too, as scikit-learn's MLP raises for non-finite weights."""


class Model(Buffered, ModelArchive):
    """A sequential network trained with a loss, an optimizer and an accuracy metric.

    Parameters
    ----------
    random_state : int, numpy.random.Generator or None
        Seeds shuffling and dropout masks (weights are seeded where the layers are built).

    Examples
    --------
    >>> from nnfs_lab.nn import Model, Dense, ReLU, Softmax, CategoricalCrossentropy, Adam
    >>> from nnfs_lab.nn import CategoricalAccuracy
    >>> from nnfs_lab.datasets import spiral
    >>> X, y = spiral(100, 3, random_state=0)
    >>> rng = np.random.default_rng(0)
    >>> model = Model(random_state=0)
    >>> model.add(Dense(2, 64, rng=rng)); model.add(ReLU())
    >>> model.add(Dense(64, 3, rng=rng)); model.add(Softmax())
    >>> model.set(loss=CategoricalCrossentropy(), optimizer=Adam(0.05, decay=5e-7),
    ...           accuracy=CategoricalAccuracy())
    >>> model.finalize()
    >>> history = model.train(X, y, epochs=100, print_every=0)
    """

    def __init__(self, *, random_state: int | np.random.Generator | None = None) -> None:
        self.layers: list[Layer] = []
        self.loss: L.Loss | None = None
        self.optimizer: O.Optimizer | None = None
        self.accuracy: M.Accuracy | None = None
        self.rng = np.random.default_rng(random_state)
        self._finalized = False

    # ------------------------------------------------------------------ building
    def add(self, layer: Layer) -> Model:
        if not isinstance(layer, Layer):
            raise TypeError(f"Model.add expects a Layer, got {type(layer).__name__}")
        self.layers.append(layer)
        self._finalized = False
        return self

    def set(
        self,
        *,
        loss: L.Loss | None = None,
        optimizer: O.Optimizer | None = None,
        accuracy: M.Accuracy | None = None,
    ) -> Model:
        if loss is not None:
            if not isinstance(loss, L.Loss):
                raise TypeError(f"loss must be a Loss, got {type(loss).__name__}")
            self.loss = loss
        if optimizer is not None:
            if not isinstance(optimizer, O.Optimizer):
                raise TypeError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
            self.optimizer = optimizer
        if accuracy is not None:
            self.accuracy = accuracy
        self._finalized = False
        return self

    def finalize(self) -> Model:
        """Wire the layers: pick the fused output gradient, skip the first layer's input
        gradient, hand the model's generator to dropout layers, collect the parameters."""
        if not self.layers:
            raise ValueError("the model has no layers; call add() first")
        if self.loss is None:
            raise ValueError("the model has no loss; call set(loss=...) first")
        dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        if not dense:
            raise ValueError("the model needs at least one Dense layer")
        self.dtype = dense[0].dtype
        for prev, nxt in zip(dense, dense[1:]):
            if prev.n_neurons != nxt.n_inputs:
                raise ValueError(
                    f"layer shapes do not chain: Dense(..., {prev.n_neurons}) is followed by "
                    f"Dense({nxt.n_inputs}, ...)"
                )
            if nxt.dtype != self.dtype:
                raise ValueError("all Dense layers must share one dtype")
        self.n_features_in = dense[0].n_inputs
        self.n_outputs = dense[-1].n_neurons
        last = self.layers[-1]
        self.output_activation = last if isinstance(last, A.Activation) else A.Linear()
        # Fused output gradients: softmax + CCE -> (p - y)/n, sigmoid + BCE -> (p - y)/(n m).
        self._fused: L.Loss | None = None
        if isinstance(last, A.Softmax) and type(self.loss) is L.CategoricalCrossentropy:
            self._fused = L.SoftmaxCategoricalCrossentropy()
        elif isinstance(last, A.Sigmoid) and type(self.loss) is L.BinaryCrossentropy:
            self._fused = L.SigmoidBinaryCrossentropy(**self.loss.get_config())
        first = self.layers.index(dense[0])
        for i, layer in enumerate(self.layers):
            layer.need_input_grad = i > first
            if isinstance(layer, Dropout) and layer.rng is None:
                layer.rng = self.rng
        # Backward stops at the first trainable layer: nothing before it has parameters.
        self._backward_layers = self.layers[first:][::-1]
        if self._fused is not None:
            self._backward_layers = self._backward_layers[1:]
        self.trainable_layers = dense
        self._flatten()
        self._finalized = True
        return self

    def _flatten(self) -> None:
        """Move every parameter and gradient into views of one contiguous array each.

        The optimizer then updates the whole network with one handful of ufunc calls per step
        instead of one per parameter array: on small networks the per-call overhead, not the
        arithmetic, is what an Adam step costs. ``_params``/``_grads`` stay the per-array views.
        """
        dense = self.trainable_layers
        total = sum(p.size for layer in dense for p in layer.params)
        flat_p = np.empty(total, dtype=self.dtype)
        flat_g = np.zeros(total, dtype=self.dtype)
        offset = 0
        for layer in dense:
            views: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
            for p, g in zip(layer.params, layer.grads):
                vp = flat_p[offset : offset + p.size].reshape(p.shape)
                vg = flat_g[offset : offset + p.size].reshape(p.shape)
                vp[...], vg[...] = p, g
                views[0].append(vp)
                views[1].append(vg)
                offset += p.size
            layer._rebind(*views)
        self._params = [p for layer in dense for p in layer.params]
        self._grads = [g for layer in dense for g in layer.grads]
        self._flat_params, self._flat_grads = [flat_p], [flat_g]

    def _check_flat(self) -> None:
        # Pickling or deep-copying a model turns the views back into separate arrays (and the
        # optimizer would update a flat array the layers no longer read): re-home them.
        flat_p, flat_g = self._flat_params[0], self._flat_grads[0]
        for layer in self.trainable_layers:
            for p, g in zip(layer.params, layer.grads):
                if p.base is not flat_p or g.base is not flat_g:
                    self._flatten()
                    return

    def _require_finalized(self) -> None:
        if not self._finalized:
            raise RuntimeError("call finalize() before training or predicting")

    # ------------------------------------------------------------------ validation
    def _check_X(self, X: Any, name: str = "X", check_finite: bool = True) -> np.ndarray:
        return check_inputs(X, self.n_features_in, self.dtype, name, check_finite=check_finite)

    def _check_y(self, y: Any, n: int, name: str = "y", check_finite: bool = True) -> np.ndarray:
        return check_targets(y, n, self.loss, self.n_outputs, self.dtype, name,
                             check_finite=check_finite)  # fmt: skip

    # ------------------------------------------------------------------ passes
    def forward(self, X: np.ndarray, *, training: bool = False) -> np.ndarray:
        out = X
        for layer in self.layers:
            out = layer.forward(out, training=training)
        return out

    def backward(self, output: np.ndarray, y: np.ndarray, scale: Any) -> None:
        """Fill every parameter gradient for the batch that produced ``output``."""
        if self._fused is not None:
            d = self._fused._grad(output, y, scale)
        else:
            d = self.loss._grad(output, y, scale)
        for layer in self._backward_layers:
            d = layer.backward(d)

    def _batches(self, n: int, batch_size: int | None) -> tuple[int, int]:
        if batch_size is None:
            return n, 1
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
        bs = min(int(batch_size), n)
        return bs, -(-n // bs)

    def train_epoch(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        batch_size: int | None = None,
        shuffle: bool = True,
        sample_weight: np.ndarray | None = None,
    ) -> dict[str, float]:
        """One pass over already-validated data (see :meth:`prepare`); returns the epoch's
        ``data_loss``, ``regularization_loss``, ``loss``, ``accuracy`` and ``learning_rate``.

        The data loss is the (weighted) mean of the per-batch losses over the epoch; the
        regularization loss is taken on the weights at the end of the epoch, as in the book.
        """
        self._require_finalized()
        n = X.shape[0]
        bs, steps = self._batches(n, batch_size)
        acc = self.accuracy
        if acc is not None:
            acc.new_pass()
        order = self.rng.permutation(n) if shuffle and steps > 1 else None
        total, weight_total = 0.0, 0.0
        opt = self.optimizer
        self._check_flat()
        flat_params, flat_grads = self._flat_params, self._flat_grads
        for step in range(steps):
            lo, hi = step * bs, min((step + 1) * bs, n)
            xb, yb, wb = self._minibatch(X, y, sample_weight, order, lo, hi)
            out = self.forward(xb, training=True)
            batch_loss = self.data_loss_sum(out, yb, wb)
            if not math.isfinite(batch_loss):
                raise DivergenceError(
                    f"the loss became {batch_loss} at step {opt.iterations + 1} "
                    f"(learning rate {opt.current_learning_rate:g}); lower the learning rate or "
                    "add decay/regularization"
                )
            total += batch_loss
            batch_weight, scale = self._batch_scale(wb, hi - lo)
            weight_total += batch_weight
            if acc is not None:
                acc.calculate(self.output_activation.predictions(out), yb, wb)
            self.backward(out, yb, scale)
            opt.step(flat_params, flat_grads)
        data_loss = total / weight_total if weight_total else float("nan")
        reg_loss = L.regularization_loss(self.trainable_layers)
        return {
            logs.DATA_LOSS: data_loss,
            logs.REGULARIZATION_LOSS: reg_loss,
            logs.LOSS: data_loss + reg_loss,
            logs.ACCURACY: acc.calculate_accumulated() if acc is not None else float("nan"),
            logs.LEARNING_RATE: opt.current_learning_rate,
        }

    def data_loss_sum(self, output: np.ndarray, y: np.ndarray, sample_weight=None) -> float:
        """Sum of the per-sample data losses of ``output`` (weighted by ``sample_weight``),
        through the fused softmax/sigmoid + cross-entropy when the model has one."""
        loss_fn = self._fused if self._fused is not None else self.loss
        return loss_fn._sum(output, y, sample_weight)

    def _minibatch(self, X, y, sample_weight, order, lo: int, hi: int) -> tuple:
        """Rows ``lo:hi`` of the epoch's order: views when unshuffled, else gathered into the
        scratch buffers."""
        if order is None:
            wb = None if sample_weight is None else sample_weight[lo:hi]
            return X[lo:hi], y[lo:hi], wb
        idx = order[lo:hi]
        wb = None if sample_weight is None else sample_weight[idx]
        if not isinstance(X, np.ndarray):  # sparse rows (see checks.is_sparse): scipy gathers
            return X[idx], np.take(y, idx, axis=0), wb
        # mode="clip": the indices are a permutation, and the default mode="raise"
        # gathers into a hidden temporary before copying into `out`.
        xb = np.take(X, idx, axis=0, out=self._batch_buf("x", X, hi - lo), mode="clip")
        yb = np.take(y, idx, axis=0, out=self._batch_buf("y", y, hi - lo), mode="clip")
        return xb, yb, wb

    def _batch_scale(self, wb: np.ndarray | None, rows: int) -> tuple[float, Any]:
        """The batch's total weight, and the gradient scale making its loss a weighted mean."""
        if wb is None:
            return rows, 1.0 / rows
        wsum = float(wb.sum())
        return wsum, (wb / wsum).astype(self.dtype)[:, None] if wsum > 0 else 0.0

    def _batch_buf(self, name: str, like: np.ndarray, rows: int) -> np.ndarray:
        """Scratch minibatch of ``rows`` rows shaped and typed like ``like`` (the one cache of
        :class:`~nnfs_lab.nn.scratch.Buffered`, shared with the layers)."""
        return self._buf(name, (rows, *like.shape[1:]), like.dtype)

    def prepare(
        self, X: Any, y: Any, *, check_finite: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Validate and cast training data once (dtype, shapes, finiteness, label range).

        ``check_finite=False`` skips the NaN/infinity scan, for callers that have just done it
        (scikit-learn's ``validate_data``): on MNIST-sized data the scan reads the whole array,
        ~20 ms, on every ``partial_fit``.
        """
        self._require_finalized()
        X = self._check_X(X, check_finite=check_finite)
        y = self._check_y(y, X.shape[0], check_finite=check_finite)
        return X, y

    def train(
        self,
        X: Any,
        y: Any,
        *,
        epochs: int = 1,
        batch_size: int | None = None,
        validation_data: tuple[Any, Any] | None = None,
        print_every: int = 1,
        shuffle: bool = True,
        sample_weight: Any = None,
    ) -> list[dict[str, float]]:
        """Train for ``epochs`` passes; returns one record per epoch.

        ``print_every=0`` silences the per-epoch lines. With ``validation_data`` the validation
        loss and accuracy are added to every record.
        """
        self._require_finalized()
        if self.optimizer is None:
            raise ValueError("the model has no optimizer; call set(optimizer=...) first")
        if isinstance(epochs, bool) or int(epochs) != epochs or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        X, y = self.prepare(X, y)
        if sample_weight is not None:
            sample_weight = L._check_weights(sample_weight, X.shape[0])
        if validation_data is not None:
            Xv = self._check_X(validation_data[0], "validation X")
            yv = self._check_y(validation_data[1], Xv.shape[0], "validation y")
        if self.accuracy is not None:
            self.accuracy.init(y)
        history = []
        for epoch in range(1, int(epochs) + 1):
            t0 = time.perf_counter()
            rec = {
                logs.EPOCH: epoch,
                **self.train_epoch(
                    X, y, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight
                ),
            }
            if validation_data is not None:
                rec[logs.VAL_LOSS], rec[logs.VAL_ACCURACY] = self.evaluate(
                    Xv, yv, batch_size=batch_size
                )
            rec[logs.SECONDS] = time.perf_counter() - t0
            history.append(rec)
            if print_every and (epoch % print_every == 0 or epoch == epochs):
                print(logs.book_line(rec))
        return history

    def evaluate(self, X: Any, y: Any, *, batch_size: int | None = None) -> tuple[float, float]:
        """Data loss and accuracy on ``(X, y)``, in inference mode (no dropout)."""
        self._require_finalized()
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        loss_fn = self._fused if self._fused is not None else self.loss
        acc = self.accuracy
        if acc is not None:
            acc.new_pass()
            acc.init(y)
        bs, steps = self._batches(X.shape[0], batch_size)
        total = 0.0
        for step in range(steps):
            xb, yb = X[step * bs : (step + 1) * bs], y[step * bs : (step + 1) * bs]
            out = self.forward(xb, training=False)
            total += loss_fn._sum(out, yb, None)
            if acc is not None:
                acc.calculate(self.output_activation.predictions(out), yb)
        accuracy = acc.calculate_accumulated() if acc is not None else float("nan")
        return total / max(X.shape[0], 1), accuracy

    def predict(self, X: Any, *, batch_size: int | None = None) -> np.ndarray:
        """Output-layer values (probabilities for softmax/sigmoid), in inference mode."""
        self._require_finalized()
        X = self._check_X(X)
        if batch_size is None or X.shape[0] <= batch_size:
            return self.forward(X, training=False)
        bs, steps = self._batches(X.shape[0], batch_size)
        return np.concatenate(
            [self.forward(X[i * bs : (i + 1) * bs], training=False) for i in range(steps)]
        )
