"""Tests for nnfs_lab.datasets.registry: names, ``load``, parameters and the table."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab import datasets
from nnfs_lab.datasets import Dataset, load

GENERATED = [
    "spiral",
    "vertical",
    "circle",
    "xor",
    "gaussian",
    "playground_spiral",
    "moons",
    "blobs",
]


def test_generators_never_touch_the_global_rng():
    # Reading (not seeding) the legacy global state is the point of this test.
    before = np.random.get_state()  # noqa: NPY002
    for name in GENERATED + ["sine"]:
        load(name, random_state=1)
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2] == before[2]


@pytest.mark.parametrize("name", GENERATED)
def test_generated_shape_dtype_balance(name):
    ds = load(name, random_state=0)
    assert isinstance(ds, Dataset)
    assert ds.task == "classification"
    assert ds.X.dtype == np.float64 and ds.X.ndim == 2 and ds.X.shape[1] == 2
    assert ds.y.dtype == np.int64 and ds.y.shape == (len(ds.X),)
    assert np.all(np.isfinite(ds.X))
    counts = np.bincount(ds.y)
    assert len(counts) == len(ds.target_names)
    if name == "xor":  # uniform over the quadrants: balanced in expectation only
        assert abs(counts[0] - counts[1]) < 0.2 * len(ds.y)
    else:
        assert counts.max() - counts.min() <= 1
    assert ds.feature_names == ["x0", "x1"]
    assert ds.X_test is None and ds.y_test is None


@pytest.mark.parametrize("name", GENERATED + ["sine"])
def test_generated_determinism_per_seed(name):
    # Noise-free sine and Playground spiral are fixed curves: randomness enters only via noise.
    params = {"noise": 0.1} if name in ("sine", "playground_spiral") else {}
    a = load(name, random_state=42, **params)
    b = load(name, random_state=42, **params)
    c = load(name, random_state=43, **params)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not (np.array_equal(a.X, c.X) and np.array_equal(a.y, c.y))


def test_list_datasets_and_table():
    names = datasets.list_datasets()
    assert {"spiral", "vertical", "sine", "fashion_mnist", "digits", "xor"} <= set(names)
    table = datasets.format_dataset_table()
    for name in names:
        assert name in table


def test_unknown_name_lists_available():
    with pytest.raises(ValueError, match="unknown dataset 'spirall'.*spiral.*fashion_mnist"):
        load("spirall")


def test_unknown_param_is_named():
    with pytest.raises(ValueError, match="'nosie'.*accepted: n_samples, n_classes, noise"):
        load("spiral", nosie=0.3)


def test_dataset_params():
    assert datasets.dataset_params("circle") == {
        "n_samples": 500,
        "noise": 0.0,
        "random_state": None,
    }


def test_generated_class_names():
    assert load("circle", n_samples=10, random_state=0).target_names == ["ring", "disc"]
    assert load("spiral", n_samples=5, random_state=0).target_names == [
        "class 0",
        "class 1",
        "class 2",
    ]
    assert load("sine", n_samples=5).target_names is None


def test_public_names_are_reexported():
    for name in datasets.__all__:
        assert hasattr(datasets, name), name
    assert {"DownloadError", "ChecksumError", "FASHION_MNIST_CLASSES", "default_data_home"} <= set(
        datasets.__all__
    )
