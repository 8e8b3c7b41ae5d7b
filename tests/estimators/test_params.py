"""The table of parameter constraints: every hyperparameter checked at fit, each error naming it."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from nnfs_lab import NNFSClassifier, NNFSRegressor
from nnfs_lab.estimators._base import BaseNNFS
from nnfs_lab.estimators._params import (
    PARAMETER_CONSTRAINTS,
    resolve_batch_size,
    validate_params,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("hidden_layer_sizes", (10, 0)),
        ("hidden_layer_sizes", "ten"),
        ("activation", "swish"),
        ("optimizer", "lbfgs"),
        ("learning_rate", 0.0),
        ("learning_rate", float("nan")),
        ("decay", -1e-3),
        ("momentum", 1.0),
        ("beta_2", 1.5),
        ("epsilon", 0),
        ("l1", -0.1),
        ("l2", "big"),
        ("dropout", 1.0),
        ("batch_size", 0),
        ("batch_size", "all"),
        ("max_epochs", 0),
        ("max_epochs", 2.5),
        ("shuffle", "yes"),
        ("validation_fraction", 1.0),
        ("n_iter_no_change", 0),
        ("tol", -1),
        ("weight_init", "xavier"),
        ("dtype", "float16"),
        ("callbacks", [object()]),
        ("class_weight", "auto"),
        ("class_weight", {0: -1.0}),
    ],
)
def test_invalid_parameter_is_named_at_fit(blobs, small, param, value):
    est = small(**{param: value})  # __init__ accepts anything, as sklearn requires
    with pytest.raises(ValueError, match=param.split("_")[0] if param == "class_weight" else param):
        est.fit(*blobs)


def test_error_message_names_value_and_expectation(blobs, small):
    with pytest.raises(ValueError) as info:
        small(momentum=1.0).fit(*blobs)
    assert str(info.value) == (
        "Invalid value for parameter 'momentum': 1.0; expected a number in [0, 1)."
    )


def test_nesterov_needs_momentum(blobs, small):
    with pytest.raises(ValueError, match="nesterov=True requires momentum > 0"):
        small(optimizer="sgd", nesterov=True, momentum=0.0).fit(*blobs)
    small(optimizer="adam", nesterov=True, momentum=0.0).fit(*blobs)  # ignored by Adam


def test_regressor_rejects_unknown_loss(small):
    with pytest.raises(ValueError, match="'loss'"):
        small(NNFSRegressor, loss="huber").fit(np.zeros((4, 2)), np.zeros(4))


def test_sklearn_mlp_activation_names_accepted(blobs, small):
    assert validate_params(small(activation="logistic"))["activation"] == "sigmoid"
    assert validate_params(small(activation="identity"))["activation"] == "linear"
    small(activation="logistic").fit(*blobs)


def test_validate_normalizes_values():
    cfg = validate_params(NNFSClassifier(hidden_layer_sizes=8, dtype="float32", callbacks=None))
    assert cfg["hidden_layer_sizes"] == (8,)
    assert cfg["dtype"] == np.dtype(np.float32)
    assert cfg["callbacks"] == []


@pytest.mark.parametrize("cls", [NNFSClassifier, NNFSRegressor])
def test_every_parameter_has_one_constraint(cls):
    assert set(cls().get_params()) <= set(PARAMETER_CONSTRAINTS)


def test_table_has_no_orphan_rows():
    used = set(NNFSClassifier().get_params()) | set(NNFSRegressor().get_params())
    assert set(PARAMETER_CONSTRAINTS) == used


def test_defaults_written_once():
    """The base stores without defaults; the two public classes agree on the shared ones."""
    base = inspect.signature(BaseNNFS.__init__).parameters.values()
    assert all(p.default is inspect.Parameter.empty for p in base)
    clf, reg = NNFSClassifier().get_params(), NNFSRegressor().get_params()
    shared = set(clf) & set(reg)
    assert set(clf) - shared == {"class_weight"}
    assert set(reg) - shared == {"loss", "standardize_target"}
    assert {k: clf[k] for k in shared} == {k: reg[k] for k in shared}


@pytest.mark.parametrize(
    ("value", "n", "expected"), [("auto", 50, 50), ("auto", 500, 200), (32, 10, 10), (8, 100, 8)]
)
def test_resolve_batch_size(value, n, expected):
    assert resolve_batch_size(value, n) == expected
