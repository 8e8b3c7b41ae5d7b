"""One declarative table of the estimators' hyperparameter constraints.

In the spirit of scikit-learn's ``_parameter_constraints`` (see ``MLPClassifier``): every
hyperparameter maps to one constraint, a callable ``constraint(name, value)`` that returns the
normalized value or raises a ``ValueError`` naming the parameter and its value. scikit-learn's
own ``_param_validation`` is private API, so the constraint types are written here with public
means only. Invalid values are rejected at ``fit``, never in ``__init__``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnfs_lab.nn import OPTIMIZERS

__all__ = [
    "ACTIVATIONS",
    "PARAMETER_CONSTRAINTS",
    "REGRESSION_LOSSES",
    "WEIGHT_INITS",
    "Boolean",
    "Integer",
    "Options",
    "Real",
    "check_param",
    "resolve_batch_size",
    "validate_params",
]

#: Accepted hidden activations -> the engine's name (scikit-learn's MLP names included).
ACTIVATIONS = {
    "relu": "relu",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "logistic": "sigmoid",
    "linear": "linear",
    "identity": "linear",
}
WEIGHT_INITS = ("auto", "book", "glorot", "he")
REGRESSION_LOSSES = ("squared_error", "absolute_error")
HOOKS = ("on_train_begin", "on_epoch_end", "on_train_end")


def invalid(name: str, value: Any, expected: str) -> ValueError:
    """The one error message of a rejected hyperparameter."""
    text = repr(value)
    if len(text) > 80:  # 10**400 or a huge array: the start says enough
        text = text[:77] + "..."
    return ValueError(f"Invalid value for parameter {name!r}: {text}; expected {expected}.")


@dataclass(frozen=True)
class Real:
    """A finite real number in an interval (closed unless ``low_open``/``high_open``)."""

    low: float
    high: float = np.inf
    low_open: bool = False
    high_open: bool = False

    def __call__(self, name: str, value: Any) -> float:
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        number = None
        if real:
            try:
                # float() first: np.isfinite refuses a Python int beyond int64 (10**30) and a
                # Fraction; an int beyond float's range (10**400) overflows here.
                number = float(value)
            except (OverflowError, TypeError, ValueError):
                number = None
        if number is None or not np.isfinite(number):
            raise invalid(name, value, "a finite real number")
        value = number
        lo_ok = value > self.low if self.low_open else value >= self.low
        hi_ok = value < self.high if self.high_open else value <= self.high
        if not (lo_ok and hi_ok):
            left = "(" if self.low_open else "["
            right = ")" if self.high_open or self.high == np.inf else "]"
            raise invalid(name, value, f"a number in {left}{self.low:g}, {self.high:g}{right}")
        return float(value)


@dataclass(frozen=True)
class Integer:
    """An integer ``>= low`` (``bool`` is refused although it is an ``int``)."""

    low: int

    def __call__(self, name: str, value: Any) -> int:
        integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        if not integral or value < self.low:
            raise invalid(name, value, f"an integer >= {self.low}")
        return int(value)


@dataclass(frozen=True)
class Boolean:
    """``True`` or ``False`` (NumPy booleans included)."""

    def __call__(self, name: str, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise invalid(name, value, "True or False")
        return bool(value)


@dataclass(frozen=True)
class Options:
    """One of a set of strings; a mapping also translates aliases to canonical names."""

    options: Sequence[str] | Mapping[str, str]

    def __call__(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.options:
            raise invalid(name, value, f"one of {list(self.options)}")
        return self.options[value] if isinstance(self.options, Mapping) else value


def _hidden_sizes(name: str, value: Any) -> tuple[int, ...]:
    # An int or a sequence of positive ints; empty means no hidden layer (a linear model).
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    expected = "an int or a sequence of positive ints"
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise invalid(name, value, expected)
    for size in value:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise invalid(name, value, expected)
    return tuple(int(s) for s in value)


def _float_dtype(name: str, value: Any) -> np.dtype | str:
    if isinstance(value, str) and value == "auto":
        return value
    try:
        dt = np.dtype(value)
    except TypeError:
        dt = None
    if dt not in (np.float32, np.float64):
        raise invalid(name, value, "'auto', 'float32' or 'float64'")
    return dt


def _batch_size(name: str, value: Any) -> str | int:
    if isinstance(value, str) and value == "auto":
        return value
    return Integer(1)(name, value)


def _callbacks(name: str, value: Any) -> list:
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for cb in items:
        if not any(callable(getattr(cb, hook, None)) for hook in HOOKS):
            raise invalid(name, cb, f"objects with at least one of the methods {', '.join(HOOKS)}")
    return items


def _class_weight(name: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and value == "balanced"):
        return value
    if not isinstance(value, Mapping):
        raise invalid(name, value, "None, 'balanced' or a dict {class label: weight}")
    for label, weight in value.items():
        Real(0.0)(f"{name}[{label!r}]", weight)
    return value


def _patience(name: str, value: Any) -> int | float:
    # An integer >= 1, or infinity: never stop on a plateau (MLPClassifier accepts np.inf too).
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == np.inf:
        return float(value)
    try:
        return Integer(1)(name, value)
    except ValueError:
        raise invalid(name, value, "an integer >= 1 or numpy.inf") from None


def _anything(name: str, value: Any) -> Any:
    # random_state is checked by scikit-learn's check_random_state when it is used.
    return value


#: Hyperparameter -> constraint, checked in this order. ``class_weight`` belongs to
#: NNFSClassifier, ``loss`` and ``standardize_target``
#: to NNFSRegressor; the rest to both.
PARAMETER_CONSTRAINTS: dict[str, Callable[[str, Any], Any]] = {
    "hidden_layer_sizes": _hidden_sizes,
    "activation": Options(ACTIVATIONS),
    "optimizer": Options(sorted(OPTIMIZERS)),
    "learning_rate": Real(0.0, low_open=True),
    "decay": Real(0.0),
    "momentum": Real(0.0, 1.0, high_open=True),
    "nesterov": Boolean(),
    "beta_1": Real(0.0, 1.0, high_open=True),
    "beta_2": Real(0.0, 1.0, high_open=True),
    "epsilon": Real(0.0, low_open=True),
    "rho": Real(0.0, 1.0, high_open=True),
    "l1": Real(0.0),
    "l2": Real(0.0),
    "dropout": Real(0.0, 1.0, high_open=True),
    "max_epochs": Integer(1),
    "shuffle": Boolean(),
    "early_stopping": Boolean(),
    "validation_fraction": Real(0.0, 1.0, low_open=True, high_open=True),
    "n_iter_no_change": _patience,
    "tol": Real(0.0),
    "weight_init": Options(WEIGHT_INITS),
    "dtype": _float_dtype,
    "warm_start": Boolean(),
    "verbose": Integer(0),
    "callbacks": _callbacks,
    "batch_size": _batch_size,
    "random_state": _anything,
    "class_weight": _class_weight,
    "loss": Options(REGRESSION_LOSSES),
    "standardize_target": Boolean(),
}


def validate_params(est: Any) -> dict[str, Any]:
    """Check every hyperparameter of ``est`` against :data:`PARAMETER_CONSTRAINTS`.

    Parameters
    ----------
    est : NNFSClassifier or NNFSRegressor
        The estimator whose ``get_params(deep=False)`` are checked.

    Returns
    -------
    dict
        The normalized values (tuples of sizes, canonical activation names, a NumPy dtype, a
        list of callbacks) the network is built from.

    Raises
    ------
    ValueError
        Naming the first invalid parameter and its value.
    """
    params = est.get_params(deep=False)
    cfg = {
        name: check(name, params[name])
        for name, check in PARAMETER_CONSTRAINTS.items()
        if name in params
    }
    if cfg["nesterov"] and cfg["optimizer"] == "sgd" and cfg["momentum"] == 0:
        raise ValueError("Invalid parameters: nesterov=True requires momentum > 0 with 'sgd'.")
    return cfg


def check_param(name: str, value: Any) -> Any:
    """Check one hyperparameter value against :data:`PARAMETER_CONSTRAINTS`.

    Parameters
    ----------
    name : str
        A parameter of :class:`NNFSClassifier` or :class:`NNFSRegressor`.
    value : object
        The value to check.

    Returns
    -------
    object
        The normalized value.

    Raises
    ------
    ValueError
        Naming the parameter, the value and what is accepted (an unknown ``name`` too).
    """
    if name not in PARAMETER_CONSTRAINTS:
        raise ValueError(f"Unknown parameter {name!r}; known: {sorted(PARAMETER_CONSTRAINTS)}")
    return PARAMETER_CONSTRAINTS[name](name, value)


def resolve_batch_size(value: str | int, n_samples: int) -> int:
    """The minibatch size for ``n_samples``: ``'auto'`` is ``min(200, n_samples)``."""
    if value == "auto":
        return min(200, n_samples)
    return min(int(value), n_samples)
