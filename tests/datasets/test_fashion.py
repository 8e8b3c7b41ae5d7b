"""Tests for nnfs_lab.datasets.fashion: Fashion-MNIST from a local fake mirror (no internet)."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from nnfs_lab.datasets import DownloadError, load, read_idx
from nnfs_lab.datasets.fashion import FASHION_MNIST_FILES


def test_fashion_mnist_end_to_end_from_file_url(tmp_path, make_fake_fashion):
    src, home = tmp_path / "mirror", tmp_path / "cache"
    checksums = make_fake_fashion(src)
    base = src.as_uri() + "/"
    ds = load("fashion_mnist", data_home=home, base_url=base, checksums=checksums)
    assert ds.X.shape == (40, 784) and ds.X.dtype == np.float32
    assert ds.X_test.shape == (20, 784) and ds.y_test.shape == (20,)
    assert ds.y.dtype == np.int64 and np.bincount(ds.y).tolist() == [4] * 10
    assert ds.X.min() >= -1.0 and ds.X.max() <= 1.0
    raw = read_idx(src / "train-images-idx3-ubyte.gz").reshape(40, -1)
    np.testing.assert_allclose(ds.X, (raw.astype(np.float32) - 127.5) / 127.5)
    assert ds.target_names[0] == "T-shirt/top" and len(ds.target_names) == 10
    assert sorted(p.name for p in home.iterdir()) == sorted(checksums)

    # Second call: served from the cache, the mirror is not needed any more.
    for f in src.iterdir():
        f.unlink()
    again = load("fashion_mnist", data_home=home, base_url=base, checksums=checksums)
    np.testing.assert_array_equal(again.X, ds.X)


def test_fashion_mnist_subset_and_env_default(tmp_path, monkeypatch, make_fake_fashion):
    src = tmp_path / "mirror"
    checksums = make_fake_fashion(src)
    monkeypatch.setenv("NNFS_LAB_DATA", str(tmp_path / "env-cache"))
    kwargs = dict(base_url=src.as_uri() + "/", checksums=checksums)
    a = load("fashion_mnist", n_samples=20, n_test_samples=10, random_state=0, **kwargs)
    b = load("fashion_mnist", n_samples=20, n_test_samples=10, random_state=0, **kwargs)
    c = load("fashion_mnist", n_samples=20, n_test_samples=10, random_state=1, **kwargs)
    assert a.X.shape == (20, 784) and a.X_test.shape == (10, 784)
    assert np.bincount(a.y).tolist() == [2] * 10
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    assert (tmp_path / "env-cache" / "train-labels-idx1-ubyte.gz").is_file()


def test_checksum_mismatch_leaves_no_file(tmp_path, make_fake_fashion):
    src, home = tmp_path / "mirror", tmp_path / "cache"
    checksums = make_fake_fashion(src)
    checksums["train-labels-idx1-ubyte.gz"] = "0" * 64
    with pytest.raises(DownloadError, match="checksum mismatch.*train-labels"):
        load("fashion_mnist", data_home=home, base_url=src.as_uri() + "/", checksums=checksums)
    assert not (home / "train-labels-idx1-ubyte.gz").exists()
    assert not any(p.name.endswith(".part") for p in home.iterdir())


def test_offline_through_load_with_unreachable_file_url(tmp_path):
    missing = (tmp_path / "nowhere").as_uri() + "/"
    with pytest.raises(DownloadError, match="nowhere/train-images-idx3-ubyte.gz") as info:
        load("fashion_mnist", data_home=tmp_path / "cache", base_url=missing)
    assert str((tmp_path / "cache" / "train-images-idx3-ubyte.gz").resolve()) in str(info.value)


def test_official_checksums_are_well_formed():
    names = [s.filename for s in FASHION_MNIST_FILES]
    assert names == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    for spec in FASHION_MNIST_FILES:
        assert len(spec.sha256) == 64 and len(spec.md5) == 32 and spec.size > 0


def test_mismatched_image_and_label_counts(tmp_path, idx_bytes):
    src = tmp_path / "mirror"
    src.mkdir()
    arrays = {
        "train-images-idx3-ubyte.gz": np.zeros((3, 28, 28), np.uint8),
        "train-labels-idx1-ubyte.gz": np.zeros(2, np.uint8),
        "t10k-images-idx3-ubyte.gz": np.zeros((1, 28, 28), np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.zeros(1, np.uint8),
    }
    checksums = {}
    for name, array in arrays.items():
        data = gzip.compress(idx_bytes(array))
        (src / name).write_bytes(data)
        checksums[name] = hashlib.sha256(data).hexdigest()
    with pytest.raises(ValueError, match="train files disagree"):
        load("fashion_mnist", data_home=src, download=False, checksums=checksums)
