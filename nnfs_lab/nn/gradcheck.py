"""Finite-difference gradient checks for layers, losses and whole models.

Each check compares the analytic gradient with central differences
``(f(x + h) - f(x - h)) / 2h`` and returns the largest relative error
``||analytic - numeric|| / max(||analytic|| + ||numeric||, tiny)`` over the checked arrays.
Use float64 (in float32 the differences are dominated by rounding) and weights that give O(1)
gradients (``init="glorot"``): with the book's ``0.01 * randn`` the gradients are so small that the
finite differences' own rounding error (~1e-10) is a sizeable share of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .layers import Layer
from .losses import Loss
from .model import Model

__all__ = ["gradcheck", "numerical_gradient", "relative_error"]


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    num = float(np.linalg.norm(analytic - numeric))
    den = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
    return num / den if den > 1e-12 else num


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``x``, perturbed in place."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def _frozen_rng(obj: Any) -> Callable[[], None]:
    """Make every forward pass draw the same dropout masks, so f is deterministic."""
    layers = obj.layers if isinstance(obj, Model) else [obj]
    states = [
        (layer, layer.rng.bit_generator.state) for layer in layers if getattr(layer, "rng", None)
    ]

    def reset() -> None:
        for layer, state in states:
            layer.rng.bit_generator.state = state

    return reset


def gradcheck(
    obj: Layer | Loss | Model,
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    h: float = 1e-5,
    seed: int = 0,
) -> float:
    """Check the gradients of ``obj`` at input ``x``; returns the max relative error.

    - Layer: checks ``d/dx`` and every parameter for ``f = sum(forward(x) * G)`` with a fixed
      random ``G``.
    - Loss: checks ``backward(x, y)`` against ``calculate(x, y)``.
    - Model (finalized): checks every parameter and, through a copy of the first layer, nothing
      else, for ``f = data loss + regularization loss`` on ``(x, y)`` in training mode.
    """
    x = np.array(x, dtype=np.float64)
    if isinstance(obj, Loss):
        analytic = obj.backward(x, y)
        return relative_error(analytic, numerical_gradient(lambda: obj.calculate(x, y), x, h))
    if isinstance(obj, Model):
        return _check_model(obj, x, y, h)
    if not isinstance(obj, Layer):
        raise TypeError(f"gradcheck expects a Layer, Loss or Model, got {type(obj).__name__}")
    reset = _frozen_rng(obj)
    reset()
    out = obj.forward(x, training=True)
    G = np.random.default_rng(seed).standard_normal(out.shape)

    def f() -> float:
        reset()
        return float(np.sum(obj.forward(x, training=True) * G))

    reset()
    obj.forward(x, training=True)
    old_flag = obj.need_input_grad
    obj.need_input_grad = True
    try:
        dx = np.array(obj.backward(G.copy()))
    finally:
        obj.need_input_grad = old_flag
    errors = [relative_error(dx, numerical_gradient(f, x, h))]
    analytic = [np.array(g) for g in obj.grads]
    reg = getattr(obj, "regularization_loss", None)
    for p, g in zip(obj.params, analytic):
        errors.append(
            relative_error(g, numerical_gradient(lambda: f() + (reg() if reg else 0.0), p, h))
        )
    return max(errors)


def _check_model(model: Model, x: np.ndarray, y: np.ndarray, h: float) -> float:
    model._require_finalized()
    if model.dtype != np.float64:
        raise ValueError("gradcheck needs a float64 model")
    x, y = model.prepare(x, y)
    reset = _frozen_rng(model)
    loss_fn = model._fused if model._fused is not None else model.loss

    def f() -> float:
        reset()
        out = model.forward(x, training=True)
        data = loss_fn._sum(out, y, None) / len(x)
        return data + sum(layer.regularization_loss() for layer in model.trainable_layers)

    reset()
    out = model.forward(x, training=True)
    model.backward(out, y, 1.0 / len(x))
    analytic = [g.copy() for g in model._grads]
    return max(
        relative_error(g, numerical_gradient(f, p, h)) for p, g in zip(model._params, analytic)
    )
