"""The book's results, re-run with this engine (seeded; slow).

Thresholds come from the issue (the book's own code, re-run, lands within a few points of the
book's figures). Where a run is cheap, the median over three seeds is asserted, so a single lucky
or unlucky seed decides nothing; the figures measured are printed (``pytest -s``).
"""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab.datasets import sine, spiral
from nnfs_lab.nn import (
    Adam,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    Dense,
    Dropout,
    Linear,
    MeanSquaredError,
    Model,
    RegressionAccuracy,
    ReLU,
    Sigmoid,
    Softmax,
)

pytestmark = pytest.mark.slow


def _spiral_run(seed, *, l2=0.0, lr=0.05, decay=5e-7, epochs=10001):
    X, y = spiral(100, 3, random_state=seed)
    X_test, y_test = spiral(100, 3, random_state=seed + 1000)
    rng = np.random.default_rng(seed)
    model = Model(random_state=seed)
    model.add(Dense(2, 64, rng=rng, weight_l2=l2, bias_l2=l2))
    model.add(ReLU())
    model.add(Dense(64, 3, rng=rng))
    model.add(Softmax())
    model.set(
        loss=CategoricalCrossentropy(),
        optimizer=Adam(lr, decay=decay),
        accuracy=CategoricalAccuracy(),
    )
    model.finalize()
    model.train(X, y, epochs=epochs, print_every=0)
    _, train_acc = model.evaluate(X, y)
    _, test_acc = model.evaluate(X_test, y_test)
    return train_acc, test_acc


def test_spiral_adam():
    runs = np.array([_spiral_run(seed) for seed in (0, 1, 2)])
    print("spiral adam train/test per seed:", runs.round(3).tolist())
    train, test = np.median(runs, axis=0)
    assert train >= 0.93 and test >= 0.75


def test_spiral_adam_l2():
    runs = np.array([_spiral_run(seed, l2=5e-4, lr=0.02) for seed in (0, 1, 2)])
    print("spiral adam+L2 train/test per seed:", runs.round(3).tolist())
    assert np.median(runs[:, 1]) >= 0.78


def _binary_run(seed):
    X, y = spiral(100, 2, random_state=seed)
    X_test, y_test = spiral(100, 2, random_state=seed + 1000)
    rng = np.random.default_rng(seed)
    model = Model(random_state=seed)
    model.add(Dense(2, 64, rng=rng, weight_l2=5e-4, bias_l2=5e-4))
    model.add(ReLU())
    model.add(Dense(64, 1, rng=rng))
    model.add(Sigmoid())
    model.set(
        loss=BinaryCrossentropy(),
        optimizer=Adam(0.001, decay=5e-7),
        accuracy=CategoricalAccuracy(binary=True),
    )
    model.finalize()
    model.train(X, y.reshape(-1, 1), epochs=10000, print_every=0)
    return model.evaluate(X_test, y_test.reshape(-1, 1))[1]


def test_binary_logistic_regression():
    accs = [_binary_run(seed) for seed in (0, 1, 2)]
    print("binary test accuracy per seed:", np.round(accs, 3).tolist())
    assert np.median(accs) >= 0.88


def _regression_run(seed):
    X, y = sine(1000, random_state=seed)
    rng = np.random.default_rng(seed)
    model = Model(random_state=seed)
    # The book switches to 0.1 * randn for this model because 0.01 * randn does not train.
    # (He initialisation trains too but lands at regression accuracy 0.67-0.83 here.)
    model.add(Dense(1, 64, rng=rng, init_scale=0.1))
    model.add(ReLU())
    model.add(Dense(64, 64, rng=rng, init_scale=0.1))
    model.add(ReLU())
    model.add(Dense(64, 1, rng=rng, init_scale=0.1))
    model.add(Linear())
    model.set(
        loss=MeanSquaredError(),
        optimizer=Adam(0.005, decay=1e-3),
        accuracy=RegressionAccuracy(),
    )
    model.finalize()
    model.train(X, y, epochs=10000, print_every=0)
    X_test, y_test = sine(1000, random_state=seed + 1000)
    return model.evaluate(X_test, y_test)


def test_sine_regression():
    runs = np.array([_regression_run(seed) for seed in (0, 1, 2)])
    print("sine regression mse/accuracy per seed:", runs.round(4).tolist())
    mse, acc = np.median(runs, axis=0)
    assert acc >= 0.90 and mse < 0.005


def test_model_api_dropout_run():
    X, y = spiral(1000, 3, random_state=0)
    X_test, y_test = spiral(100, 3, random_state=1000)
    rng = np.random.default_rng(0)
    model = Model(random_state=0)
    model.add(Dense(2, 512, rng=rng, weight_l2=5e-4, bias_l2=5e-4))
    model.add(ReLU())
    model.add(Dropout(0.1))
    model.add(Dense(512, 3, rng=rng))
    model.add(Softmax())
    model.set(
        loss=CategoricalCrossentropy(),
        optimizer=Adam(0.05, decay=5e-5),
        accuracy=CategoricalAccuracy(),
    )
    model.finalize()
    model.train(X, y, epochs=10000, print_every=0, validation_data=(X_test, y_test))
    test_loss, test_acc = model.evaluate(X_test, y_test)
    print(f"model API run: test accuracy {test_acc:.3f}, loss {test_loss:.3f}")
    assert test_acc >= 0.80
