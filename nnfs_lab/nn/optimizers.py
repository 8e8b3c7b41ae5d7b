"""Optimizers: SGD (momentum, Nesterov), Adagrad, RMSprop and Adam, with the book's defaults and
learning-rate decay ``lr_t = lr / (1 + decay * t)``, ``t`` the number of steps already taken.

An optimizer owns its state (moments, caches, step count) as arrays parallel to the parameters it
updates, created on the first :meth:`Optimizer.step`. Nothing is written onto layers. Updates are
in place, with one scratch array per parameter, so a step allocates nothing parameter-sized.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "OPTIMIZERS", "make_optimizer"]


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not math.isfinite(value) or not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return value


class Optimizer:
    """Base class: decay schedule, step counter and per-parameter state.

    Parameters
    ----------
    learning_rate : float
        Initial learning rate.
    decay : float
        ``lr_t = learning_rate / (1 + decay * iterations)``, applied before every step.
    """

    #: Names of the per-parameter state arrays, in the order kept in ``self.state``.
    state_names: tuple[str, ...] = ()

    def __init__(self, learning_rate: float, decay: float = 0.0) -> None:
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.decay = _positive("decay", decay, allow_zero=True)
        self.current_learning_rate = self.learning_rate
        self.iterations = 0
        # state[name][i] belongs to params[i]
        self.state: dict[str, list[np.ndarray]] = {name: [] for name in self.state_names}
        self._tmp: list[np.ndarray] = []

    def _ensure_state(self, params: list[np.ndarray]) -> None:
        if self._tmp and len(self._tmp) == len(params) and self._tmp[0].shape == params[0].shape:
            return
        shapes = [p.shape for p in params]
        for name in self.state_names:
            old = self.state[name]
            if not old:
                self.state[name] = [np.zeros_like(p) for p in params]
            elif [a.shape for a in old] != shapes:
                self.state[name] = self._relayout(old, params)
        self._tmp = [np.empty_like(p) for p in params]

    def _relayout(self, old: list[np.ndarray], params: list[np.ndarray]) -> list[np.ndarray]:
        """The same state values cut to another layout of the same parameters: per-array state
        (an old checkpoint, or steps taken on ``Model._params``) continuing on the model's one
        flat parameter array, or the reverse. Both layouts list the values in the same order."""
        if sum(a.size for a in old) != sum(p.size for p in params):
            raise ValueError(
                f"{type(self).__name__} holds state for {len(old)} parameter arrays "
                f"({sum(a.size for a in old)} values) but got {len(params)} "
                f"({sum(p.size for p in params)} values)"
            )
        flat = np.concatenate([a.ravel() for a in old])
        out, offset = [], 0
        for p in params:
            out.append(flat[offset : offset + p.size].reshape(p.shape).astype(p.dtype))
            offset += p.size
        return out

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update ``params`` in place from ``grads``, then count the step."""
        self._ensure_state(params)
        if self.decay:
            self.current_learning_rate = self.learning_rate / (1.0 + self.decay * self.iterations)
        for i, (p, g) in enumerate(zip(params, grads)):
            self._update(i, p, g, self._tmp[i])
        self.iterations += 1

    def _update(self, i: int, p: np.ndarray, g: np.ndarray, tmp: np.ndarray) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "decay": self.decay}

    def get_state(self) -> dict[str, Any]:
        """Step count and state arrays, for checkpoints (``Model.save``) and warm starts."""
        return {
            "iterations": self.iterations,
            "arrays": {name: list(arrs) for name, arrs in self.state.items()},
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.iterations = int(state["iterations"])
        if self.decay:
            self.current_learning_rate = self.learning_rate / (1.0 + self.decay * self.iterations)
        for name in self.state_names:
            self.state[name] = [np.array(a, copy=True) for a in state["arrays"].get(name, [])]
        self._tmp = []

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_tmp"] = []
        return state

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent; book defaults ``learning_rate=1.0, decay=0, momentum=0``.

    With momentum ``v = momentum * v - lr * g; p += v``; with ``nesterov=True`` the parameters move
    by ``momentum * v - lr * g`` (the look-ahead form used by Keras and PyTorch).
    """

    def __init__(
        self,
        learning_rate: float = 1.0,
        decay: float = 0.0,
        momentum: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        momentum = float(momentum)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if nesterov and momentum == 0.0:
            raise ValueError("nesterov=True requires momentum > 0")
        self.state_names = ("momentums",) if momentum else ()
        super().__init__(learning_rate, decay)
        self.momentum = momentum
        self.nesterov = bool(nesterov)

    def _update(self, i, p, g, tmp):
        lr = self.current_learning_rate
        np.multiply(g, -lr, out=tmp)  # -lr * g
        if not self.momentum:
            p += tmp
            return
        v = self.state["momentums"][i]
        v *= self.momentum
        v += tmp  # v = mu * v - lr * g
        if self.nesterov:
            p += tmp  # look-ahead: p += mu * v - lr * g
            np.multiply(v, self.momentum, out=tmp)
            p += tmp
        else:
            p += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """Adagrad: ``cache += g**2; p -= lr * g / (sqrt(cache) + eps)``; book defaults
    ``learning_rate=1.0, decay=0, epsilon=1e-7``."""

    state_names = ("cache",)

    def __init__(self, learning_rate: float = 1.0, decay: float = 0.0, epsilon: float = 1e-7):
        super().__init__(learning_rate, decay)
        self.epsilon = _positive("epsilon", epsilon)

    def _update(self, i, p, g, tmp):
        cache = self.state["cache"][i]
        np.multiply(g, g, out=tmp)
        cache += tmp
        np.sqrt(cache, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        tmp *= -self.current_learning_rate
        p += tmp

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: ``cache = rho * cache + (1 - rho) * g**2; p -= lr * g / (sqrt(cache) + eps)``;
    book defaults ``learning_rate=0.001, decay=0, epsilon=1e-7, rho=0.9``."""

    state_names = ("cache",)

    def __init__(
        self,
        learning_rate: float = 0.001,
        decay: float = 0.0,
        epsilon: float = 1e-7,
        rho: float = 0.9,
    ) -> None:
        super().__init__(learning_rate, decay)
        self.epsilon = _positive("epsilon", epsilon)
        rho = float(rho)
        if not 0.0 <= rho < 1.0:
            raise ValueError(f"rho must be in [0, 1), got {rho!r}")
        self.rho = rho

    def _update(self, i, p, g, tmp):
        cache = self.state["cache"][i]
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.rho
        cache *= self.rho
        cache += tmp
        np.sqrt(cache, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        tmp *= -self.current_learning_rate
        p += tmp

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "rho": self.rho}


class Adam(Optimizer):
    """Adam with bias correction, as in the book; defaults ``learning_rate=0.001, decay=0,
    epsilon=1e-7, beta_1=0.9, beta_2=0.999``.

    ``m_hat / (sqrt(c_hat) + eps)`` is computed as ``m * a / (sqrt(c) + eps * b)`` with
    ``a = sqrt(1 - beta_2**t) / (1 - beta_1**t)`` and ``b = sqrt(1 - beta_2**t)``: the same value,
    without the two corrected copies.
    """

    state_names = ("momentums", "cache")

    def __init__(
        self,
        learning_rate: float = 0.001,
        decay: float = 0.0,
        epsilon: float = 1e-7,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
    ) -> None:
        super().__init__(learning_rate, decay)
        self.epsilon = _positive("epsilon", epsilon)
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= float(beta) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {beta!r}")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)

    def _update(self, i, p, g, tmp):
        m = self.state["momentums"][i]
        c = self.state["cache"][i]
        b1, b2 = self.beta_1, self.beta_2
        t = self.iterations + 1
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        c *= b2
        c += tmp
        corr2 = math.sqrt(1.0 - b2**t)
        step = self.current_learning_rate * corr2 / (1.0 - b1**t)
        np.sqrt(c, out=tmp)
        tmp += self.epsilon * corr2
        np.divide(m, tmp, out=tmp)
        tmp *= -step
        p += tmp

    def get_config(self):
        return {
            **super().get_config(),
            "epsilon": self.epsilon,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
        }


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def make_optimizer(name: str, **kwargs: Any) -> Optimizer:
    """Build an optimizer by name (``"sgd"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``)."""
    try:
        cls = OPTIMIZERS[name.lower()]
    except (KeyError, AttributeError):
        raise ValueError(
            f"unknown optimizer {name!r}; expected one of {sorted(OPTIMIZERS)}"
        ) from None
    return cls(**kwargs)
