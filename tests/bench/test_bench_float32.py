"""Float32 training never computes in float64 (kept with the benchmark, whose float32 figures
depend on it; the engine's own tests live in ``tests/nn``).

The check instruments the engine instead of guessing from allocation sizes: every array the
engine allocates (``np.empty``, ``np.zeros``, ...) is made an instance of :class:`_Tracked`, whose
``__array_ufunc__`` and ``__array_function__`` see every ufunc (operators, in-place updates,
reductions, ``matmul``) and NumPy function (``take``, ``sum``, ...) that touches such an array,
and record any float64 operand or result. Python floats are fine (NumPy treats them as weak); a
``np.float64`` scalar, a float64 array or an ``np.eye`` one-hot would each be recorded.
"""

from __future__ import annotations

import traceback
import types

import numpy as np
import pytest

import nnfs_lab.nn.activations
import nnfs_lab.nn.layers
import nnfs_lab.nn.losses
import nnfs_lab.nn.metrics
import nnfs_lab.nn.model
import nnfs_lab.nn.optimizers
from nnfs_lab.datasets import spiral
from nnfs_lab.nn import (
    SGD,
    Adagrad,
    Adam,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    Dense,
    Dropout,
    Model,
    ReLU,
    RMSprop,
    Softmax,
)

ENGINE_MODULES = (
    nnfs_lab.nn.activations,
    nnfs_lab.nn.layers,
    nnfs_lab.nn.losses,
    nnfs_lab.nn.metrics,
    nnfs_lab.nn.model,
    nnfs_lab.nn.optimizers,
)


class _Tracked(np.ndarray):
    """ndarray that records float64 operands and results of every operation touching it."""

    log: list[str] = []
    calls = 0

    @classmethod
    def _note(cls, what: str, values) -> None:
        for v in values:
            if isinstance(v, (list, tuple)):
                cls._note(what, v)
            elif isinstance(v, (np.ndarray, np.generic)) and v.dtype == np.float64:
                stack = [
                    f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.line}"
                    for f in traceback.extract_stack()
                    if "nnfs_lab" in f.filename and "test_bench_float32" not in f.filename
                ]
                cls.log.append(f"{what}: float64 {type(v).__name__} at {stack[-1:]}")

    @staticmethod
    def _plain(values):
        return tuple(v.view(np.ndarray) if isinstance(v, _Tracked) else v for v in values)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        type(self).calls += 1
        out = kwargs.get("out")
        if out:
            kwargs["out"] = self._plain(out)
        self._note(f"{ufunc.__name__}.{method} input", inputs)
        result = getattr(ufunc, method)(*self._plain(inputs), **kwargs)
        self._note(f"{ufunc.__name__}.{method} result", [result])
        if out:
            return out[0] if len(out) == 1 else out
        return result.view(_Tracked) if isinstance(result, np.ndarray) else result

    def __array_function__(self, func, types_, args, kwargs):
        type(self).calls += 1
        self._note(f"{func.__name__} input", list(args) + list(kwargs.values()))
        result = super().__array_function__(func, types_, args, kwargs)
        self._note(f"{func.__name__} result", [result])
        return result


def _tracking_numpy() -> types.ModuleType:
    """A stand-in for ``numpy`` in the engine's modules whose allocators return tracked arrays."""
    proxy = types.ModuleType("numpy_tracked")
    proxy.__dict__.update({k: getattr(np, k) for k in dir(np) if not k.startswith("__")})

    def tracked(fn):
        def wrapper(*args, **kwargs):
            res = fn(*args, **kwargs)
            return res.view(_Tracked) if isinstance(res, np.ndarray) else res

        return wrapper

    for name in ("empty", "empty_like", "zeros", "zeros_like", "ones", "ones_like", "full"):
        setattr(proxy, name, tracked(getattr(np, name)))
    return proxy


def _float32_model(optimizer, seed=0) -> Model:
    rng = np.random.default_rng(seed)
    model = Model(random_state=seed)
    for layer in (
        Dense(2, 32, rng=rng, dtype=np.float32, weight_l1=1e-4, weight_l2=1e-4, bias_l2=1e-4),
        ReLU(),
        Dropout(0.1),
        Dense(32, 16, rng=rng, dtype=np.float32),
        ReLU(),
        Dense(16, 3, rng=rng, dtype=np.float32),
        Softmax(),
    ):
        model.add(layer)
    model.set(loss=CategoricalCrossentropy(), optimizer=optimizer, accuracy=CategoricalAccuracy())
    return model.finalize()


@pytest.fixture
def tracked_engine(monkeypatch):
    proxy = _tracking_numpy()
    for module in ENGINE_MODULES:
        monkeypatch.setattr(module, "np", proxy)
    _Tracked.log, _Tracked.calls = [], 0
    return _Tracked


def _train_tracked(tracked, model, weighted: bool) -> None:
    X, y = spiral(40, 3, random_state=0)
    X, y = model.prepare(X.astype(np.float32), y)
    w = np.linspace(0.5, 1.5, len(y)).astype(np.float32) if weighted else None
    X, y = X.view(_Tracked), y.view(_Tracked)
    model.train_epoch(X, y, batch_size=32, sample_weight=w)  # builds the buffers
    tracked.log, tracked.calls = [], 0
    model.train_epoch(X, y, batch_size=32, sample_weight=w)


@pytest.mark.parametrize(
    "make_opt",
    [Adam, lambda: SGD(0.1, momentum=0.9, nesterov=True), Adagrad, RMSprop],
    ids=["adam", "sgd-nesterov", "adagrad", "rmsprop"],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
def test_float32_training_never_touches_float64(tracked_engine, make_opt, weighted):
    model = _float32_model(make_opt())
    _train_tracked(tracked_engine, model, weighted)
    steps = -(-120 // 32)
    # The instrumentation really saw the hot loop (a dozen+ tracked operations per step)...
    assert tracked_engine.calls > 12 * steps, tracked_engine.calls
    # ...and none of them involved a float64 array or scalar.
    assert tracked_engine.log == []
    assert all(p.dtype == np.float32 for p in model._params)


def test_estimator_float32_fit_never_touches_float64(tracked_engine):
    from nnfs_lab import NNFSClassifier

    X, y = spiral(40, 3, random_state=0)
    est = NNFSClassifier((16,), dtype="float32", batch_size=32, max_epochs=1, random_state=0)
    est.partial_fit(X.astype(np.float32), y, classes=[0, 1, 2])
    tracked_engine.log, tracked_engine.calls = [], 0
    est.partial_fit(X.astype(np.float32), y, sample_weight=np.ones(len(y)))
    assert tracked_engine.calls > 12 * 4
    assert tracked_engine.log == []


@pytest.mark.parametrize(
    "where",
    ["softmax-onehot", "adam-scalar", "relu-mask"],
)
def test_the_float64_check_catches_a_promotion(tracked_engine, monkeypatch, where):
    """The check above can fail: inject the classic promotions and see them recorded."""
    if where == "softmax-onehot":
        fused = nnfs_lab.nn.losses.SoftmaxCategoricalCrossentropy

        def grad(self, y_pred, y_true, scale):  # the book's np.eye one-hot (float64)
            return (y_pred - np.eye(y_pred.shape[1])[y_true]) * scale

        monkeypatch.setattr(fused, "_grad", grad)
    elif where == "adam-scalar":
        original = Adam._update

        def update(self, *args):
            original(self, *args)
            args[1][...] *= np.float64(1.0)  # a NumPy float64 scalar is not weak

        monkeypatch.setattr(Adam, "_update", update)
    else:
        original_backward = ReLU.backward

        def backward(self, dout):
            return original_backward(self, dout) * (self.output > 0).astype(np.float64)

        monkeypatch.setattr(ReLU, "backward", backward)
    model = _float32_model(Adam())
    _train_tracked(tracked_engine, model, weighted=False)
    assert tracked_engine.log, "the injected float64 promotion went unnoticed"
