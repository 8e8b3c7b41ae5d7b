"""Validation of the estimators' hyperparameters, each error naming the parameter and its value.

scikit-learn's own ``_param_validation`` is private API; this module keeps the same promise
(invalid values rejected at ``fit``, never in ``__init__``) with public means only.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nnfs_lab.nn import OPTIMIZERS

ACTIVATIONS = {
    "relu": "relu",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "logistic": "sigmoid",  # scikit-learn's MLP name
    "linear": "linear",
    "identity": "linear",  # scikit-learn's MLP name
}
WEIGHT_INITS = ("auto", "book", "glorot", "he")
REGRESSION_LOSSES = ("squared_error", "absolute_error")


def _bad(name: str, value: Any, expected: str) -> ValueError:
    return ValueError(f"Invalid value for parameter {name!r}: {value!r}; expected {expected}.")


def real(
    name: str,
    value: Any,
    *,
    low: float,
    high: float = np.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float inside the interval, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise _bad(name, value, "a finite real number")
    lo_ok = value > low if low_open else value >= low
    hi_ok = value < high if high_open else value <= high
    if not (lo_ok and hi_ok):
        left = "(" if low_open else "["
        right = ")" if high_open or high == np.inf else "]"
        interval = f"{left}{low:g}, {high:g}{right}"
        raise _bad(name, value, f"a number in {interval}")
    return float(value)


def integer(name: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise _bad(name, value, f"an integer >= {low}")
    return int(value)


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise _bad(name, value, "True or False")
    return bool(value)


def choice(name: str, value: Any, options: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise _bad(name, value, f"one of {list(options)}")
    return value


def hidden_sizes(value: Any) -> tuple[int, ...]:
    """An int or a sequence of positive ints (empty: no hidden layer, a linear model)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise _bad("hidden_layer_sizes", value, "an int or a sequence of positive ints")
    sizes = tuple(value)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise _bad("hidden_layer_sizes", value, "an int or a sequence of positive ints")
    return tuple(int(s) for s in sizes)


def dtype(value: Any) -> np.dtype:
    try:
        dt = np.dtype(value)
    except TypeError:
        dt = None
    if dt not in (np.float32, np.float64):
        raise _bad("dtype", value, "'float32' or 'float64'")
    return dt


def batch_size(value: Any, n_samples: int) -> int:
    if isinstance(value, str) and value == "auto":
        return min(200, n_samples)
    return min(integer("batch_size", value, low=1), n_samples)


def callbacks(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    hooks = ("on_train_begin", "on_epoch_end", "on_train_end")
    for cb in items:
        if not any(callable(getattr(cb, h, None)) for h in hooks):
            raise _bad(
                "callbacks", cb, f"objects with at least one of the methods {', '.join(hooks)}"
            )
    return items


def class_weight(value: Any) -> None:
    if value is None or (isinstance(value, str) and value == "balanced"):
        return
    if not isinstance(value, Mapping):
        raise _bad("class_weight", value, "None, 'balanced' or a dict {class label: weight}")
    for label, weight in value.items():
        real(f"class_weight[{label!r}]", weight, low=0.0)


def validate(est: Any) -> dict[str, Any]:
    """Check every hyperparameter of ``est``; returns the normalized values used to build it."""
    p = est.get_params(deep=False)
    out = {
        "hidden_layer_sizes": hidden_sizes(p["hidden_layer_sizes"]),
        "activation": ACTIVATIONS[choice("activation", p["activation"], list(ACTIVATIONS))],
        "optimizer": choice("optimizer", p["optimizer"], sorted(OPTIMIZERS)),
        "learning_rate": real("learning_rate", p["learning_rate"], low=0.0, low_open=True),
        "decay": real("decay", p["decay"], low=0.0),
        "momentum": real("momentum", p["momentum"], low=0.0, high=1.0, high_open=True),
        "nesterov": boolean("nesterov", p["nesterov"]),
        "beta_1": real("beta_1", p["beta_1"], low=0.0, high=1.0, high_open=True),
        "beta_2": real("beta_2", p["beta_2"], low=0.0, high=1.0, high_open=True),
        "epsilon": real("epsilon", p["epsilon"], low=0.0, low_open=True),
        "rho": real("rho", p["rho"], low=0.0, high=1.0, high_open=True),
        "l1": real("l1", p["l1"], low=0.0),
        "l2": real("l2", p["l2"], low=0.0),
        "dropout": real("dropout", p["dropout"], low=0.0, high=1.0, high_open=True),
        "max_epochs": integer("max_epochs", p["max_epochs"], low=1),
        "shuffle": boolean("shuffle", p["shuffle"]),
        "early_stopping": boolean("early_stopping", p["early_stopping"]),
        "validation_fraction": real(
            "validation_fraction",
            p["validation_fraction"],
            low=0.0,
            high=1.0,
            low_open=True,
            high_open=True,
        ),
        "n_iter_no_change": integer("n_iter_no_change", p["n_iter_no_change"], low=1),
        "tol": real("tol", p["tol"], low=0.0),
        "weight_init": choice("weight_init", p["weight_init"], WEIGHT_INITS),
        "dtype": dtype(p["dtype"]),
        "warm_start": boolean("warm_start", p["warm_start"]),
        "verbose": integer("verbose", p["verbose"], low=0),
        "callbacks": callbacks(p["callbacks"]),
    }
    bs = p["batch_size"]
    if not (isinstance(bs, str) and bs == "auto"):
        integer("batch_size", bs, low=1)
    if p["nesterov"] and p["optimizer"] == "sgd" and p["momentum"] == 0:
        raise ValueError("Invalid parameters: nesterov=True requires momentum > 0 with 'sgd'.")
    if "class_weight" in p:
        class_weight(p["class_weight"])
    if "loss" in p:
        out["loss"] = choice("loss", p["loss"], REGRESSION_LOSSES)
    return out
