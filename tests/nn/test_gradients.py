"""Central-difference gradient checks (float64) for every layer, activation, loss and a network."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab.nn import (
    Adam,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Dense,
    Dropout,
    Linear,
    MeanAbsoluteError,
    MeanSquaredError,
    Model,
    ReLU,
    Sigmoid,
    Softmax,
    SoftmaxCategoricalCrossentropy,
    Tanh,
    gradcheck,
)

TOL = 1e-6


def _x(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    # Keep ReLU inputs away from its kink, where finite differences are meaningless.
    x[np.abs(x) < 1e-2] += 0.05
    return x


@pytest.mark.parametrize(
    "layer",
    [
        Dense(4, 3, rng=0, init="glorot"),
        Dense(4, 3, rng=1, weight_l1=0.01, weight_l2=0.02, bias_l1=0.03, bias_l2=0.04, init="he"),
        ReLU(),
        Sigmoid(),
        Tanh(),
        Softmax(),
        Linear(),
        Dropout(0.3, rng=2),
    ],
    ids=lambda layer: repr(layer)[:40],
)
def test_layer_gradients(layer):
    if isinstance(layer, Dense) and layer.bias_l1:
        layer.biases[...] = 0.3  # off the |b| kink at 0
    assert gradcheck(layer, _x((6, 4))) < TOL


@pytest.mark.parametrize(
    "loss,y_pred,y_true",
    [
        (
            CategoricalCrossentropy(),
            np.random.default_rng(0).dirichlet(np.ones(4), 7),
            np.array([0, 1, 2, 3, 0, 1, 2]),
        ),
        (
            CategoricalCrossentropy(),
            np.random.default_rng(1).dirichlet(np.ones(3), 5),
            np.eye(3)[[0, 2, 1, 1, 0]],
        ),
        (
            BinaryCrossentropy(),
            np.random.default_rng(2).uniform(0.05, 0.95, (6, 3)),
            np.random.default_rng(3).integers(0, 2, (6, 3)),
        ),
        (MeanSquaredError(), _x((6, 2), 4), _x((6, 2), 5)),
        (MeanAbsoluteError(), _x((6, 2), 6), _x((6, 2), 7)),
    ],
    ids=["cce-sparse", "cce-onehot", "bce", "mse", "mae"],
)
def test_loss_gradients(loss, y_pred, y_true):
    assert gradcheck(loss, y_pred, y_true) < TOL


def test_weighted_loss_gradient():
    from nnfs_lab.nn.gradcheck import numerical_gradient, relative_error

    loss = MeanSquaredError()
    y_pred, y_true, w = _x((5, 2), 1), _x((5, 2), 2), np.array([1.0, 2.0, 0.5, 0.0, 3.0])
    analytic = loss.backward(y_pred, y_true, w)
    numeric = numerical_gradient(lambda: loss.calculate(y_pred, y_true, w), y_pred, 1e-5)
    assert relative_error(analytic, numeric) < TOL


def test_fused_softmax_cce_equals_chained():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((8, 4))
    y = rng.integers(0, 4, 8)
    softmax = Softmax()
    p = softmax.forward(logits, training=True)
    chained = softmax.backward(CategoricalCrossentropy().backward(p, y))
    fused = SoftmaxCategoricalCrossentropy().backward(p, y)
    np.testing.assert_allclose(fused, chained, rtol=1e-10, atol=1e-12)
    # one-hot targets give the same fused gradient
    np.testing.assert_allclose(
        SoftmaxCategoricalCrossentropy().backward(p, np.eye(4)[y]), fused, atol=1e-15
    )


def _network(l1=0.01, l2=0.01, dropout=0.0, last=Softmax, n_out=3, loss=None):
    rng = np.random.default_rng(5)
    model = Model(random_state=0)
    model.add(Dense(2, 8, rng=rng, init="glorot", weight_l1=l1, weight_l2=l2, bias_l2=l2))
    model.add(Tanh())
    if dropout:
        model.add(Dropout(dropout))
    model.add(Dense(8, 8, rng=rng, init="glorot", weight_l1=l1, weight_l2=l2))
    model.add(ReLU())
    model.add(Dense(8, n_out, rng=rng, init="glorot", weight_l2=l2, bias_l1=l1))
    model.add(last())
    model.set(loss=loss or CategoricalCrossentropy(), optimizer=Adam())
    for layer in model.layers:
        if isinstance(layer, Dense) and layer.bias_l1:
            layer.biases[...] = 0.2
    return model.finalize()


def test_three_layer_network_with_l1_l2():
    X, y = _x((20, 2)), np.random.default_rng(1).integers(0, 3, 20)
    assert gradcheck(_network(), X, y) < TOL


def test_three_layer_network_with_dropout():
    X, y = _x((20, 2)), np.random.default_rng(1).integers(0, 3, 20)
    assert gradcheck(_network(dropout=0.25), X, y) < TOL


@pytest.mark.parametrize(
    "last,loss,n_out",
    [(Sigmoid, BinaryCrossentropy(), 2), (Linear, MeanSquaredError(), 2)],
    ids=["sigmoid-bce", "linear-mse"],
)
def test_three_layer_network_other_heads(last, loss, n_out):
    X = _x((20, 2))
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, (20, n_out)) if last is Sigmoid else rng.standard_normal((20, n_out))
    assert gradcheck(_network(last=last, n_out=n_out, loss=loss), X, y) < TOL


def test_gradcheck_detects_a_wrong_gradient():
    """The checker itself must be able to fail."""

    class BrokenReLU(ReLU):
        def backward(self, dout):
            return super().backward(dout) * 1.01

    assert gradcheck(BrokenReLU(), _x((4, 3))) > 1e-3
