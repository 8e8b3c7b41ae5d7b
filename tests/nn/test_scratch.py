"""The one scratch-buffer cache, shared by the layers, the losses and the Model."""

from __future__ import annotations

import copy
import pickle

import numpy as np

from nnfs_lab.nn import CategoricalCrossentropy, Dense, Model, ReLU, Softmax
from nnfs_lab.nn.scratch import Buffered, fill_arange, fill_ones


class Holder(Buffered):
    pass


def test_buffer_is_reused_per_name_shape_and_dtype():
    h = Holder()
    a = h._buf("x", (4, 2), np.float64)
    assert h._buf("x", (4, 2), np.float64) is a
    assert h._buf("x", (3, 2), np.float64) is not a  # the short last batch keeps its own
    assert h._buf("x", (4, 2), np.float32).dtype == np.float32
    assert h._buf("y", (4, 2), np.float32) is not h._buf("x", (4, 2), np.float32)


def test_init_fills_only_a_new_buffer():
    h = Holder()
    ones = h._buf("ones", (1, 3), np.float64, fill_ones)
    np.testing.assert_array_equal(ones, [[1.0, 1.0, 1.0]])
    ones[0, 0] = 5.0
    assert h._buf("ones", (1, 3), np.float64, fill_ones)[0, 0] == 5.0
    np.testing.assert_array_equal(h._buf("rows", (4,), np.intp, fill_arange), [0, 1, 2, 3])


def test_buffers_are_neither_pickled_nor_copied():
    h = Holder()
    h._buf("x", (1000,), np.float64)
    h.keep = 1
    for twin in (pickle.loads(pickle.dumps(h)), copy.deepcopy(h)):
        assert twin.keep == 1 and "_buffers" not in twin.__dict__
    h.clear_buffers()
    assert "_buffers" not in h.__dict__


def test_model_minibatches_use_the_shared_cache():
    rng = np.random.default_rng(0)
    model = Model(random_state=0)
    model.add(Dense(2, 4, rng=rng)).add(ReLU()).add(Dense(4, 3, rng=rng)).add(Softmax())
    model.set(loss=CategoricalCrossentropy())
    model.finalize()
    assert isinstance(model, Buffered)
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 3, 10)
    first = model._batch_buf("x", X, 4)
    assert first.shape == (4, 2) and model._batch_buf("x", X, 4) is first
    assert "_buffers" not in pickle.loads(pickle.dumps(model)).__dict__
    assert y.shape == (10,)
