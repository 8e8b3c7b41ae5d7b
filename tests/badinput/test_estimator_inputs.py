"""Generated bad estimator parameters and inputs: a clear ValueError naming the problem, or a
fit whose predictions are finite and valid."""

from __future__ import annotations

import os
import warnings
from fractions import Fraction

import numpy as np
import pytest

from nnfs_lab import NNFSClassifier, NNFSRegressor
from nnfs_lab.nn import DivergenceError

SCALE = 5 if os.environ.get("NNFS_FULL_SUITE", "") not in ("", "0") else 1
RNG = np.random.default_rng(16)

#: Values tried for every parameter: edge and garbage values of every kind.
POOL = [-1, 0, 1, 2, 0.5, 0.999, 1.5, -0.5, 10**30, -(10**30), 10**400, 2**63, 1e-300, 1e300,
        float("nan"), float("inf"), -float("inf"), "abc", "", "auto", "relu", None, True, False,
        [1], [], (), {}, {0: 1.0}, np.float32(0.1), np.int64(3), np.nan, Fraction(1, 3),
        np.array([1, 2]), "float16", object()]  # fmt: skip
PARAMS = ["hidden_layer_sizes", "activation", "optimizer", "learning_rate", "decay", "momentum",
          "nesterov", "beta_1", "beta_2", "epsilon", "rho", "l1", "l2", "dropout", "batch_size",
          "max_epochs", "shuffle", "early_stopping", "validation_fraction", "n_iter_no_change",
          "tol", "weight_init", "dtype", "warm_start", "verbose", "class_weight", "loss",
          "standardize_target"]  # fmt: skip
#: Parameters whose huge valid values would make a case slow, not wrong.
_SLOW = {"max_epochs", "hidden_layer_sizes", "n_iter_no_change"}

X0 = RNG.normal(size=(24, 3))
Y_CLF = np.arange(24) % 3
Y_REG = X0 @ np.array([1.0, -2.0, 0.5])


def _param_cases() -> list:
    cases = []
    for i in range(90 * SCALE):
        name = PARAMS[i % len(PARAMS)]
        value = POOL[int(RNG.integers(len(POOL)))]
        if name in _SLOW and isinstance(value, (int, float)) and not isinstance(value, bool):
            if abs(value) > 1000 and abs(value) != 10**400 and value == value:
                value = -value if value > 0 else value  # keep the case fast: a negative size
        est = "reg" if name in ("loss", "standardize_target") or i % 4 == 3 else "clf"
        if name == "class_weight":
            est = "clf"
        cases.append(pytest.param(est, name, value, id=f"{est}-{name}-{i}"))
    return cases


def _make(kind: str, **params):
    base = dict(hidden_layer_sizes=(5,), max_epochs=2, random_state=0)
    base.update(params)
    return (NNFSClassifier if kind == "clf" else NNFSRegressor)(**base)


def _check_result(est, X) -> None:
    if isinstance(est, NNFSClassifier):
        proba = est.predict_proba(X)
        assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0)
        assert set(np.unique(est.predict(X))) <= set(est.classes_.tolist())
    else:
        assert np.all(np.isfinite(est.predict(X)))


def _outcome(tally, area: str, fn, words: tuple[str, ...]) -> None:
    """Run ``fn``: a valid result, or a ValueError whose message has one of ``words``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except ValueError as exc:
        msg = str(exc).lower()
        ok = isinstance(exc, DivergenceError) or any(w.lower() in msg for w in words)
        assert ok, f"{type(exc).__name__} does not name {words}: {exc}"
        tally(area, "clear error")
    else:
        tally(area, "valid result")


@pytest.mark.parametrize("kind, name, value", _param_cases())
def test_parameter_values(tally, kind, name, value):
    y = Y_CLF if kind == "clf" else Y_REG

    def fit():
        est = _make(kind, **{name: value}).fit(X0, y)
        _check_result(est, X0)

    _outcome(tally, "parameters", fit, (repr(name),))


def _input_cases() -> list:
    """(id, kind, mutator) with mutator(X, y) -> (call, words)."""
    cases = []
    for i in range(70 * SCALE):
        cases.append(pytest.param(i % 14, int(RNG.integers(1 << 30)), id=f"input-{i % 14}-{i}"))
    return cases


def _scaled(X, r):
    return X * 10.0 ** r.integers(6, 308)


def _input_case(which: int, r: np.random.Generator):
    """One generated bad input: (kind, call(est), words an error must contain)."""
    X, yc, yr = X0.copy(), Y_CLF.copy(), Y_REG.copy()
    n = X.shape[0]
    pos = int(r.integers(n))
    if which == 0:  # non-finite X
        X[pos, r.integers(3)] = r.choice([np.nan, np.inf, -np.inf])
        return "clf", lambda e: e.fit(X, yc), ("nan", "infinity")
    if which == 1:  # huge X for training
        return str(r.choice(["clf", "reg"])), lambda e: e.fit(_scaled(X, r), yc), ("X ",)
    if which == 2:  # huge X at prediction
        Xb = X.copy()
        Xb[pos] = r.choice([1.7e308, -1.7e308, 1e200, 1e300])
        return str(r.choice(["clf", "reg"])), lambda e: _check_result(e.fit(X, yc), Xb), ("X ",)
    if which == 3:  # labels with None/NaN/mixed types
        yo = yc.astype(object)
        yo[pos] = r.choice([None, np.nan, "a", 1.5])
        return "clf", lambda e: e.fit(X, yo), ("label", "nan", "none", "unknown", "mix")
    if which == 4:  # regression target with None/NaN/inf or huge
        yo = yr.astype(object)
        yo[pos] = r.choice([None, np.nan, np.inf, 1e308, "x"])
        return "reg", lambda e: e.fit(X, yo), ("y ", "y:", "nan", "infinity")
    if which == 5:  # bad partial_fit classes
        classes = [[0, 1, 2, np.nan], [[0, 1], [2, 3]], [], [0, 1], ["a", 1, 2], [0, 1, 2, None]]
        c = classes[int(r.integers(len(classes)))]
        return "clf", lambda e: e.partial_fit(X, yc, classes=c), ("classes",)
    if which == 6:  # class weights
        cw = r.choice([0.0, 0.0, -1.0, np.nan, 1e300])
        w = {0: float(cw), 1: float(cw) if r.random() < 0.7 else 1.0, 2: float(cw)}
        return "clf", lambda e: e.set_params(class_weight=w).fit(X, yc), ("class_weight",)
    if which == 7:  # validation_data of the wrong form
        forms = [{"X": X, "y": yc}, (X,), (X, yc, yc), X, "xy", (X[:, :2], yc), (X, yc[:5]),
                 (X[:1], yc[:1]), [X, yc], None]  # fmt: skip
        v = forms[int(r.integers(len(forms)))]
        return "clf", lambda e: e.fit(X, yc, validation_data=v), ("validation",)
    if which == 8:  # sample weights
        sws = [np.zeros(n), -np.ones(n), np.ones(n - 1), np.full(n, np.nan), np.ones((n, 2)), "w"]
        sw = sws[int(r.integers(len(sws)))]
        return (
            str(r.choice(["clf", "reg"])),
            lambda e: e.fit(X, yc, sample_weight=sw),
            ("sample_weight", "sample weights", "nan", "could not convert"),
        )
    if which == 9:  # wrong shapes
        shapes = [X[:, :2], X[:0], X[:1], X.reshape(24, 3, 1), X.ravel()]
        Xs = shapes[int(r.integers(len(shapes)))]
        return (
            "clf",
            lambda e: _check_result(e.fit(X, yc), Xs),
            ("feature", "sample", "dim", "2d", "expected"),
        )
    if which == 10:  # y length mismatch
        return (
            str(r.choice(["clf", "reg"])),
            lambda e: e.fit(X, yc[: int(r.integers(1, n))]),
            ("inconsistent", "samples"),
        )
    if which == 11:  # one class, or a learning rate / data combination that diverges
        lr = float(10.0 ** r.integers(-2, 31))
        return (
            "reg",
            lambda e: _check_result(e.set_params(learning_rate=lr, optimizer="sgd").fit(X, yr), X),
            ("learning",),
        )
    if which == 12:  # diverging with validation data: error and unfitted, or finite
        lr = float(10.0 ** r.integers(0, 6))

        def fit(e):
            e.set_params(learning_rate=lr, optimizer="sgd", activation="identity",
                         early_stopping=bool(r.integers(2)), max_epochs=5)  # fmt: skip
            try:
                e.fit(X, yr, validation_data=(X, yr) if not e.early_stopping else None)
            except ValueError:
                assert not hasattr(e, "model_"), "a failed fit left the estimator fitted"
                raise
            _check_result(e, X)

        return "reg", fit, ("learning", "diverge")
    # 13: huge hidden layers
    size = int(r.choice([10**9, 10**12, 2**40]))
    return (
        "clf",
        lambda e: e.set_params(hidden_layer_sizes=size).fit(X, yc),
        ("hidden_layer_sizes",),
    )


@pytest.mark.parametrize("which, seed", _input_cases())
def test_inputs(tally, which, seed):
    kind, call, words = _input_case(which, np.random.default_rng(seed))
    _outcome(tally, "inputs", lambda: call(_make(kind)), words)
