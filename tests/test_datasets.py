"""Tests for nnfs_lab.datasets and the IDX reader / downloader in nnfs_lab._idx."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from nnfs_lab import _idx, datasets
from nnfs_lab.datasets import Dataset, load, read_idx

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
BUNDLED = {
    # name: (n_samples, n_features, class counts or None for regression)
    "digits": (1797, 64, None),
    "iris": (150, 4, [50, 50, 50]),
    "wine": (178, 13, [59, 71, 48]),
    "breast_cancer": (569, 30, [212, 357]),
    "diabetes": (442, 10, None),
}


# ------------------------------------------------------------------------------- the book


def test_spiral_matches_book_formula():
    X, y = datasets.spiral(50, 3, random_state=7)
    assert X.shape == (150, 2) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    rng = np.random.default_rng(7)
    r = np.linspace(0, 1, 50)
    for k in range(3):
        t = np.linspace(4 * k, 4 * (k + 1), 50) + rng.standard_normal(50) * 0.2
        expected = np.c_[r * np.sin(2.5 * t), r * np.cos(2.5 * t)]
        np.testing.assert_allclose(X[50 * k : 50 * (k + 1)], expected)
        assert np.all(y[50 * k : 50 * (k + 1)] == k)


def test_spiral_without_noise_is_deterministic_geometry():
    X, _ = datasets.spiral(10, 2, noise=0.0)
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 1]), np.tile(np.linspace(0, 1, 10), 2))


def test_vertical_matches_book_formula():
    X, y = datasets.vertical(40, 3, random_state=3)
    assert X.shape == (120, 2) and y.dtype == np.int64
    rng = np.random.default_rng(3)
    for k in range(3):
        a = rng.standard_normal(40) * 0.1 + k / 3
        b = rng.standard_normal(40) * 0.1 + 0.5
        np.testing.assert_allclose(X[40 * k : 40 * (k + 1)], np.c_[a, b])
    assert np.bincount(y).tolist() == [40, 40, 40]


def test_sine_matches_book():
    X, y = datasets.sine(1000)
    assert X.shape == (1000, 1) and y.shape == (1000, 1)
    np.testing.assert_array_equal(X, np.arange(1000).reshape(-1, 1) / 1000)
    np.testing.assert_array_equal(y, np.sin(2 * np.pi * X))
    _, noisy = datasets.sine(1000, noise=0.1, random_state=0)
    assert 0.05 < np.std(noisy - y) < 0.15


def test_generators_never_touch_the_global_rng():
    # Reading (not seeding) the legacy global state is the point of this test.
    before = np.random.get_state()  # noqa: NPY002
    for name in GENERATED + ["sine"]:
        load(name, random_state=1)
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2] == before[2]


# --------------------------------------------------------------- every generated dataset


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


def test_generator_accepts_numpy_generator():
    X1, _ = datasets.moons(50, random_state=np.random.default_rng(5))
    X2, _ = datasets.moons(50, random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(X1, X2)


@pytest.mark.parametrize("n", [1, 7, 100])
def test_book_n_samples_is_per_class(n):
    assert load("spiral", n_samples=n, n_classes=4).X.shape == (4 * n, 2)
    assert load("vertical", n_samples=n, n_classes=2).X.shape == (2 * n, 2)


@pytest.mark.parametrize("name", ["circle", "gaussian", "playground_spiral", "moons"])
def test_playground_n_samples_is_total(name):
    ds = load(name, n_samples=101, random_state=0)
    assert ds.X.shape == (101, 2)
    assert sorted(np.bincount(ds.y).tolist()) == [50, 51]


def test_circle_geometry_without_noise():
    X, y = datasets.circle(400, random_state=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r[y == 1] <= 0.5) and np.all((r[y == 0] >= 0.7) & (r[y == 0] <= 1.0))


def test_circle_noise_flips_labels_near_the_boundary():
    X, y = datasets.circle(2000, noise=0.5, random_state=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.any((r <= 0.5) & (y == 0)) and np.any((r >= 0.7) & (y == 1))


def test_xor_geometry():
    X, y = datasets.xor(1000, random_state=0)
    assert np.all(np.abs(X) >= 0.06 - 1e-12) and np.all(np.abs(X) <= 1.06 + 1e-12)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(np.int64))


def test_gaussian_noise_widens_clusters():
    narrow, _ = datasets.gaussian(2000, noise=0.0, random_state=0)
    wide, _ = datasets.gaussian(2000, noise=0.5, random_state=0)
    assert wide[:1000].std() > 2 * narrow[:1000].std()


def test_blobs_params():
    ds = load("blobs", n_samples=90, n_classes=5, n_features=3, random_state=0)
    assert ds.X.shape == (90, 3) and len(ds.target_names) == 5


# ----------------------------------------------------------------------- bundled (sklearn)


@pytest.mark.parametrize("name", list(BUNDLED))
def test_bundled(name):
    n, d, counts = BUNDLED[name]
    ds = load(name)
    assert ds.X.shape == (n, d) and ds.X.dtype == np.float64
    assert len(ds.feature_names) == d
    if name == "diabetes":
        assert ds.task == "regression" and ds.y.dtype == np.float64 and ds.target_names is None
    else:
        assert ds.task == "classification" and ds.y.dtype == np.int64
        if counts is not None:
            assert np.bincount(ds.y).tolist() == counts
        assert len(ds.target_names) == ds.y.max() + 1
    again = load(name, random_state=99)  # fixed data: the seed only matters for subsets
    np.testing.assert_array_equal(ds.X, again.X)


def test_bundled_subset_is_stratified_and_seeded():
    a = load("digits", n_samples=200, random_state=1)
    b = load("digits", n_samples=200, random_state=1)
    c = load("digits", n_samples=200, random_state=2)
    assert a.X.shape == (200, 64)
    assert np.bincount(a.y).tolist() == [20] * 10
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)


def test_bundled_standardize():
    X = load("wine", standardize=True).X
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1)


# ------------------------------------------------------------------------------ registry


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


def test_dataset_is_frozen():
    ds = load("iris")
    with pytest.raises(AttributeError):
        ds.X = None
    assert ds.n_classes == 3
    assert repr(ds) == (
        "Dataset(name='iris', task='classification', X=(150, 4) float64, y=(150,) int64, "
        "n_classes=3)"
    )


# ---------------------------------------------------------------------------- IDX reader


def idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    """An IDX file written by hand (independent of the reader under test)."""
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[type_byte]
    header = bytes([0, 0, type_byte, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.asarray(array, dtype=dtype).tobytes()


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_images_and_labels(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    for name, array, magic in (("img", images, 0x803), ("lab", labels, 0x801)):
        data = idx_bytes(array)
        assert int.from_bytes(data[:4], "big") == magic
        path = tmp_path / (name + (".gz" if compress else ""))
        path.write_bytes(gzip.compress(data) if compress else data)
        out = read_idx(path)
        assert out.dtype == np.uint8
        np.testing.assert_array_equal(out, array)


def test_read_idx_other_dtypes_are_native(tmp_path):
    values = np.array([[1.5, -2.0], [3.25, 4.0]], dtype=np.float32)
    (tmp_path / "f").write_bytes(idx_bytes(values, 0x0D))
    out = read_idx(tmp_path / "f")
    assert out.dtype == np.float32 and out.dtype.isnative
    np.testing.assert_array_equal(out, values)
    ints = np.array([-7, 1 << 20], dtype=np.int32)
    (tmp_path / "i").write_bytes(idx_bytes(ints, 0x0C))
    np.testing.assert_array_equal(read_idx(tmp_path / "i"), ints)


def test_read_idx_wrong_magic_names_the_file(tmp_path):
    path = tmp_path / "bad-magic.idx"
    path.write_bytes(b"\x12\x34\x08\x01" + struct.pack(">I", 2) + b"\x01\x02")
    with pytest.raises(ValueError, match=r"bad-magic\.idx.*magic number 0x12340801"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x07\x01" + struct.pack(">I", 2) + b"\x01\x02")  # bad type byte
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(path)


@pytest.mark.parametrize("cut", [2, 10, 20])
def test_read_idx_truncated(tmp_path, cut):
    data = idx_bytes(np.zeros((2, 3, 3), dtype=np.uint8))  # 16-byte header + 18 bytes
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(data[:-cut]) if cut != 20 else data[:-cut])
    with pytest.raises(ValueError, match=r"short\.gz.*truncated"):
        read_idx(path)


def test_read_idx_trailing_bytes_and_broken_gzip(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(np.zeros(3, dtype=np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(path)
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(300, dtype=np.uint8)))[:-12])
    with pytest.raises(ValueError, match=r"cut\.gz.*gzip"):
        read_idx(path)


# ------------------------------------------------------------- downloader (no internet)


def make_fake_fashion(src: Path, n_train: int = 40, n_test: int = 20) -> dict[str, str]:
    """Tiny Fashion-MNIST look-alike files in ``src``; returns filename -> sha256."""
    rng = np.random.default_rng(0)
    src.mkdir(parents=True, exist_ok=True)
    checksums = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        files = {
            f"{prefix}-images-idx3-ubyte.gz": rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            f"{prefix}-labels-idx1-ubyte.gz": (np.arange(n) % 10).astype(np.uint8),
        }
        for name, array in files.items():
            data = gzip.compress(idx_bytes(array))
            (src / name).write_bytes(data)
            checksums[name] = hashlib.sha256(data).hexdigest()
    return checksums


def test_fashion_mnist_end_to_end_from_file_url(tmp_path):
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


def test_fashion_mnist_subset_and_env_default(tmp_path, monkeypatch):
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


def test_checksum_mismatch_leaves_no_file(tmp_path):
    src, home = tmp_path / "mirror", tmp_path / "cache"
    checksums = make_fake_fashion(src)
    checksums["train-labels-idx1-ubyte.gz"] = "0" * 64
    with pytest.raises(_idx.DownloadError, match="checksum mismatch.*train-labels"):
        load("fashion_mnist", data_home=home, base_url=src.as_uri() + "/", checksums=checksums)
    assert not (home / "train-labels-idx1-ubyte.gz").exists()
    assert not any(p.name.endswith(".part") for p in home.iterdir())


def test_interrupted_download_leaves_no_file(tmp_path):
    spec = _idx.FileSpec("x.gz", sha256="0" * 64)

    def fetch(url, out):
        out.write(b"partial bytes")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _idx.download_file("http://example.invalid/x.gz", tmp_path / "x.gz", spec, fetch=fetch)
    assert list(tmp_path.iterdir()) == []


def test_injected_fetch_and_mirror_fallback(tmp_path):
    payload = b"hello idx"
    spec = _idx.FileSpec("f.bin", sha256=hashlib.sha256(payload).hexdigest(), size=len(payload))
    calls = []

    def fetch(url, out):
        calls.append(url)
        if url.startswith("http://down/"):
            raise OSError("connection refused")
        out.write(payload)

    paths = _idx.ensure_files(tmp_path, [spec], ["http://down/", "http://up/"], fetch=fetch)
    assert paths["f.bin"].read_bytes() == payload
    assert calls == ["http://down/f.bin", "http://up/f.bin"]
    _idx.ensure_files(tmp_path, [spec], ["http://down/"], fetch=fetch)  # cached: no fetch
    assert len(calls) == 2


def test_corrupt_cached_file_is_replaced(tmp_path):
    payload = b"good bytes"
    spec = _idx.FileSpec("f.bin", md5=hashlib.md5(payload).hexdigest())
    (tmp_path / "f.bin").write_bytes(b"bad")
    _idx.ensure_files(tmp_path, [spec], ["x://"], fetch=lambda url, out: out.write(payload))
    assert (tmp_path / "f.bin").read_bytes() == payload


def test_offline_error_names_url_and_target_path(tmp_path):
    home = tmp_path / "cache"

    def offline(url, out):
        raise OSError("[Errno -2] Name or service not known")

    with pytest.raises(_idx.DownloadError) as info:
        _idx.ensure_files(home, _idx.FASHION_MNIST_FILES, _idx.FASHION_MNIST_URLS, fetch=offline)
    message = str(info.value)
    for base in _idx.FASHION_MNIST_URLS:
        assert base + "train-images-idx3-ubyte.gz" in message
    assert str((home / "train-images-idx3-ubyte.gz").resolve()) in message
    assert _idx.FASHION_MNIST_FILES[0].sha256 in message
    assert "t10k-labels-idx1-ubyte.gz" in message  # every missing file is listed
    assert not home.exists() or not any(home.iterdir())


def test_offline_through_load_with_unreachable_file_url(tmp_path):
    missing = (tmp_path / "nowhere").as_uri() + "/"
    with pytest.raises(_idx.DownloadError, match="nowhere/train-images-idx3-ubyte.gz") as info:
        load("fashion_mnist", data_home=tmp_path / "cache", base_url=missing)
    assert str((tmp_path / "cache" / "train-images-idx3-ubyte.gz").resolve()) in str(info.value)


def test_download_false_never_fetches(tmp_path):
    def fetch(url, out):
        raise AssertionError("must not fetch")

    spec = _idx.FileSpec("a.gz", sha256="0" * 64)
    with pytest.raises(_idx.DownloadError, match="download=False"):
        _idx.ensure_files(tmp_path, [spec], ["http://x/"], download=False, fetch=fetch)


def test_official_checksums_are_well_formed():
    names = [s.filename for s in _idx.FASHION_MNIST_FILES]
    assert names == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    for spec in _idx.FASHION_MNIST_FILES:
        assert len(spec.sha256) == 64 and len(spec.md5) == 32 and spec.size > 0
