"""Each optimizer's first steps against hand calculations, decay per step, state ownership."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnfs_lab.nn import SGD, Adagrad, Adam, Dense, RMSprop, make_optimizer


def run(opt, grads, p0=1.0):
    p = np.array([p0])
    values = []
    for g in grads:
        opt.step([p], [np.array([g])])
        values.append(float(p[0]))
    return values


def test_sgd_plain_and_decay():
    # lr_t = 1 / (1 + 0.5 t): steps of 1, 1/1.5, 1/2
    assert run(SGD(1.0, decay=0.5), [1.0, 1.0, 1.0]) == pytest.approx(
        [0.0, -1 / 1.5, -1 / 1.5 - 0.5]
    )


def test_sgd_momentum():
    # v1 = -0.1; p = 0.9; v2 = 0.9*-0.1 - 0.1 = -0.19; p = 0.71
    assert run(SGD(0.1, momentum=0.9), [1.0, 1.0]) == pytest.approx([0.9, 0.71])


def test_sgd_nesterov():
    # v1 = -0.1, p += 0.9*v1 - 0.1 = -0.19 -> 0.81; v2 = -0.19, p += 0.9*-0.19 - 0.1 -> 0.539
    assert run(SGD(0.1, momentum=0.9, nesterov=True), [1.0, 1.0]) == pytest.approx([0.81, 0.539])


def test_adagrad():
    # cache 4 -> p -= 0.5*2/(2+eps); cache 5 -> p -= 0.5*1/sqrt(5)
    eps = 1e-7
    expected1 = 1 - 0.5 * 2 / (2 + eps)
    expected2 = expected1 - 0.5 * 1 / (math.sqrt(5) + eps)
    assert run(Adagrad(0.5), [2.0, 1.0]) == pytest.approx([expected1, expected2], rel=1e-12)


def test_rmsprop():
    eps, rho, lr = 1e-7, 0.9, 0.01
    c1 = (1 - rho) * 4.0
    p1 = 1 - lr * 2 / (math.sqrt(c1) + eps)
    c2 = rho * c1 + (1 - rho) * 1.0
    p2 = p1 - lr * 1 / (math.sqrt(c2) + eps)
    assert run(RMSprop(lr), [2.0, 1.0]) == pytest.approx([p1, p2], rel=1e-12)


def test_adam_book_formula_with_decay():
    lr, decay, b1, b2, eps = 0.05, 0.1, 0.9, 0.999, 1e-7
    grads = [2.0, -1.0, 0.5]
    p, m, c, expected = 1.0, 0.0, 0.0, []
    for t, g in enumerate(grads):
        clr = lr * (1.0 / (1.0 + decay * t))
        m = b1 * m + (1 - b1) * g
        c = b2 * c + (1 - b2) * g * g
        mh, ch = m / (1 - b1 ** (t + 1)), c / (1 - b2 ** (t + 1))
        p += -clr * mh / (math.sqrt(ch) + eps)
        expected.append(p)
    opt = Adam(lr, decay=decay)
    assert run(opt, grads) == pytest.approx(expected, rel=1e-12)
    assert opt.iterations == 3
    assert opt.current_learning_rate == pytest.approx(lr / (1 + decay * 2))


def test_book_defaults():
    assert SGD().learning_rate == 1.0 and SGD().momentum == 0.0
    assert Adagrad().learning_rate == 1.0 and Adagrad().epsilon == 1e-7
    rms = RMSprop()
    assert (rms.learning_rate, rms.rho, rms.epsilon) == (0.001, 0.9, 1e-7)
    adam = Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)


def test_optimizer_never_writes_onto_layers():
    layer = Dense(3, 2, rng=0)
    before = set(vars(layer))
    layer.dweights[...] = 1.0
    opt = Adam()
    opt.step(layer.params, layer.grads)
    assert set(vars(layer)) == before
    assert len(opt.state["momentums"]) == 2 and opt.state["cache"][0].shape == (3, 2)


def test_updates_are_in_place():
    layer = Dense(3, 2, rng=0)
    w = layer.weights
    layer.dweights[...] = 1.0
    for name in ("sgd", "adagrad", "rmsprop", "adam"):
        make_optimizer(name).step(layer.params, layer.grads)
    assert layer.weights is w


@pytest.mark.parametrize(
    "factory,message",
    [
        (lambda: Adam(learning_rate=-1), "learning_rate"),
        (lambda: Adam(learning_rate=float("nan")), "learning_rate"),
        (lambda: SGD(decay=-0.1), "decay"),
        (lambda: SGD(momentum=1.5), "momentum"),
        (lambda: SGD(nesterov=True), "nesterov"),
        (lambda: RMSprop(rho=1.0), "rho"),
        (lambda: Adam(beta_2=1.0), "beta_2"),
        (lambda: make_optimizer("adamw"), "unknown optimizer 'adamw'"),
    ],
)
def test_bad_hyperparameters_are_named(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
