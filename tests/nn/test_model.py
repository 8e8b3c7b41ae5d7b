"""Model API: dtype preservation, persistence, input validation, allocation in the hot loop."""

from __future__ import annotations

import json
import tracemalloc
import zipfile

import numpy as np
import pytest

from nnfs_lab.datasets import spiral
from nnfs_lab.nn import (
    SGD,
    Adam,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    Dense,
    DivergenceError,
    Dropout,
    Model,
    ModelFileError,
    ReLU,
    Sigmoid,
    Softmax,
)


def make_model(dtype=np.float64, dropout=0.1, seed=0, optimizer=None):
    rng = np.random.default_rng(seed)
    model = Model(random_state=seed)
    model.add(Dense(2, 32, rng=rng, weight_l2=5e-4, bias_l2=5e-4, dtype=dtype))
    model.add(ReLU())
    model.add(Dropout(dropout))
    model.add(Dense(32, 3, rng=rng, dtype=dtype))
    model.add(Softmax())
    model.set(
        loss=CategoricalCrossentropy(),
        optimizer=optimizer or Adam(0.02, decay=1e-4),
        accuracy=CategoricalAccuracy(),
    )
    return model.finalize()


@pytest.fixture(scope="module")
def data():
    return spiral(50, 3, random_state=0)


def test_float32_stays_float32(data):
    X, y = data
    model = make_model(np.float32)
    Xb = X[:16].astype(np.float32)
    out = model.forward(Xb, training=True)
    assert out.dtype == np.float32
    model.backward(out, y[:16], np.float32(1 / 16))
    assert all(g.dtype == np.float32 for g in model._grads)
    model.optimizer.step(model._params, model._grads)
    assert all(p.dtype == np.float32 for p in model._params)
    assert all(a.dtype == np.float32 for arrs in model.optimizer.state.values() for a in arrs)
    model.train(X, y, epochs=2, batch_size=32, print_every=0)
    assert all(p.dtype == np.float32 for p in model._params)
    assert model.predict(X).dtype == np.float32


def test_training_reduces_loss_and_is_reproducible(data):
    X, y = data
    h1 = make_model().train(X, y, epochs=30, batch_size=32, print_every=0)
    h2 = make_model().train(X, y, epochs=30, batch_size=32, print_every=0)
    assert h1[-1]["loss"] < h1[0]["loss"]
    assert [r["loss"] for r in h1] == [r["loss"] for r in h2]


def test_no_per_step_allocation_in_hot_loop(data):
    """After warm-up, an epoch allocates nothing batch- or parameter-sized (float32 included)."""
    X, y = data
    X = np.repeat(X, 20, axis=0).astype(np.float32)  # 3000 samples
    y = np.repeat(y, 20)
    rng = np.random.default_rng(0)
    model = Model(random_state=0)
    for layer in (Dense(2, 256, rng=rng, dtype=np.float32), ReLU(), Dropout(0.1)):
        model.add(layer)
    model.add(Dense(256, 3, rng=rng, dtype=np.float32))
    model.add(Softmax())
    model.set(loss=CategoricalCrossentropy(), optimizer=Adam(), accuracy=CategoricalAccuracy())
    model.finalize()
    X, y = model.prepare(X, y)
    model.train_epoch(X, y, batch_size=128)
    one_activation = 128 * 256 * 4  # bytes of one (batch, hidden) float32 array
    tracemalloc.start()
    model.train_epoch(X, y, batch_size=128)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # What remains per step is O(batch) (index arrays, per-sample losses) plus the epoch's
    # permutation; any (batch, hidden) or parameter-sized temporary would exceed this.
    assert peak < one_activation / 2, peak


def test_save_load_roundtrip_identical(tmp_path, data):
    X, y = data
    model = make_model()
    model.train(X, y, epochs=5, batch_size=32, print_every=0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = Model.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.optimizer.iterations == model.optimizer.iterations
    for a, b in zip(loaded.optimizer.state["cache"], model.optimizer.state["cache"]):
        np.testing.assert_array_equal(a, b)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.evaluate(X, y) == model.evaluate(X, y)


def test_save_load_parameters(tmp_path, data):
    X, _ = data
    src, dst = make_model(seed=0), make_model(seed=1)
    src.save_parameters(tmp_path / "p.npz")
    dst.load_parameters(tmp_path / "p.npz")
    np.testing.assert_array_equal(src.predict(X), dst.predict(X))


def _rewrite(path, mutate):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k].copy() for k in npz.files}
    mutate(arrays)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def test_tampered_file_raises(tmp_path):
    path = tmp_path / "m.npz"
    make_model().save(path)

    def bump(arrays):
        arrays["dense0.weights"][0, 0] += 1e-3

    _rewrite(path, bump)
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        Model.load(path)


def test_truncated_file_raises(tmp_path):
    path = tmp_path / "m.npz"
    make_model().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        Model.load(path)


def test_wrong_version_raises(tmp_path):
    path = tmp_path / "m.npz"
    make_model().save(path)

    def bump_version(arrays):
        meta = json.loads(arrays["__meta__"].tobytes())
        meta["version"] = 99
        arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)

    _rewrite(path, bump_version)
    with pytest.raises(ModelFileError, match="version 99"):
        Model.load(path)


def test_foreign_and_pickled_files_are_rejected(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ModelFileError, match="no __meta__"):
        Model.load(path)
    evil = tmp_path / "evil.npz"
    np.savez(evil, __meta__=np.array([object()], dtype=object))
    with pytest.raises(ModelFileError):
        Model.load(evil)
    assert zipfile.is_zipfile(evil)
    with pytest.raises(ModelFileError, match="no such file"):
        Model.load(tmp_path / "missing.npz")


def test_parameters_file_is_not_a_model(tmp_path):
    make_model().save_parameters(tmp_path / "p.npz")
    with pytest.raises(ModelFileError, match="expected an nnfs_lab 'model' file"):
        Model.load(tmp_path / "p.npz")


@pytest.mark.parametrize(
    "X,y,message",
    [
        (np.zeros((5, 3)), np.zeros(5, int), "X has 3 features, but the first layer expects 2"),
        (np.zeros(5), np.zeros(5, int), r"X must be 2-D"),
        (np.full((5, 2), np.nan), np.zeros(5, int), "NaN or infinity"),
        (np.zeros((5, 2)), np.array([0, 1, 2, 3, 0]), r"labels must be in \[0, 2\]"),
        (np.zeros((5, 2)), np.array([0, 1, -1, 0, 0]), r"labels must be in \[0, 2\]"),
        (np.zeros((5, 2)), np.zeros(4, int), "y has 4 samples but X has 5"),
        (np.zeros((5, 2)), np.zeros((5, 4)), r"y must have shape \(5,\) or \(5, 3\)"),
        (np.zeros((5, 2)), np.array([0.5, 1, 2, 0, 0]), "labels must be integers"),
    ],
)
def test_bad_training_input_is_named(X, y, message):
    with pytest.raises(ValueError, match=message):
        make_model().train(X, y, epochs=1, print_every=0)


@pytest.mark.parametrize(
    "factory,message",
    [
        (lambda: Dense(0, 3), "n_inputs must be a positive integer"),
        (lambda: Dense(2, 3, init="xavier"), "init must be one of"),
        (lambda: Dense(2, 3, weight_l2=-1), "weight_l2 must be a finite number >= 0"),
        (lambda: Dense(2, 3, dtype=np.int32), "dtype must be float32 or float64"),
        (lambda: Dropout(1.0), r"Dropout rate must be in \[0, 1\)"),
    ],
)
def test_bad_layer_arguments_are_named(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_model_wiring_errors():
    model = Model()
    with pytest.raises(ValueError, match="no layers"):
        model.finalize()
    model.add(Dense(2, 4)).add(Dense(5, 3))
    model.set(loss=CategoricalCrossentropy())
    with pytest.raises(ValueError, match="do not chain"):
        model.finalize()
    with pytest.raises(TypeError, match="expects a Layer"):
        model.add("relu")
    with pytest.raises(RuntimeError, match="finalize"):
        Model().predict(np.zeros((1, 2)))


def test_divergence_raises(data):
    X, y = data
    model = make_model(optimizer=SGD(1e12), dropout=0.0)
    with pytest.raises(DivergenceError, match="lower the learning rate"):
        model.train(X * 1e3, y, epochs=50, print_every=0)


def test_binary_sigmoid_head_trains(data):
    X, y = spiral(50, 2, random_state=1)
    rng = np.random.default_rng(0)
    model = Model(random_state=0)
    model.add(Dense(2, 32, rng=rng)).add(ReLU()).add(Dense(32, 1, rng=rng)).add(Sigmoid())
    model.set(
        loss=BinaryCrossentropy(), optimizer=Adam(0.01), accuracy=CategoricalAccuracy(binary=True)
    )
    model.finalize()
    hist = model.train(X, y.reshape(-1, 1), epochs=200, print_every=0)
    assert hist[-1]["loss"] < hist[0]["loss"]
    with pytest.raises(ValueError, match="0/1"):
        model.train(X, np.full((len(X), 1), 0.5), epochs=1, print_every=0)


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
def test_copied_model_keeps_training_like_the_original(data, copier):
    """The parameters are views of one flat array that the optimizer updates. A copy gets them
    back as separate arrays; training must re-home them, not silently update a stray array."""
    import copy
    import pickle

    X, y = data
    model = make_model(np.float32)
    model.train(X, y, epochs=2, batch_size=32, print_every=0)
    clone = copy.deepcopy(model) if copier == "deepcopy" else pickle.loads(pickle.dumps(model))
    before = [p.copy() for p in clone._params]
    clone.train(X, y, epochs=2, batch_size=32, print_every=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, clone._params))
    model.train(X, y, epochs=2, batch_size=32, print_every=0)
    np.testing.assert_array_equal(clone.predict(X), model.predict(X))


def test_per_array_optimizer_state_continues_on_the_flat_parameters(data):
    """Optimizer state kept per parameter array (steps taken on ``Model._params``, checkpoints
    written before the parameters were flattened) carries over value for value."""
    X, y = data
    a, b = make_model(dropout=0.0), make_model(dropout=0.0)
    for m in (a, b):
        m.train(X, y, epochs=1, batch_size=32, print_every=0)
    state = b.optimizer.get_state()
    sizes = [p.size for p in b._params]
    per_array = {
        name: np.split(arrs[0], np.cumsum(sizes)[:-1]) for name, arrs in state["arrays"].items()
    }
    b.optimizer.set_state({"iterations": state["iterations"], "arrays": per_array})
    for m in (a, b):
        m.train(X, y, epochs=1, batch_size=32, print_every=0)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
