"""Tests for nnfs_lab.datasets.idx: the strict IDX reader."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from nnfs_lab.datasets import read_idx


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_images_and_labels(tmp_path, compress, idx_bytes):
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


def test_read_idx_other_dtypes_are_native(tmp_path, idx_bytes):
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
def test_read_idx_truncated(tmp_path, cut, idx_bytes):
    data = idx_bytes(np.zeros((2, 3, 3), dtype=np.uint8))  # 16-byte header + 18 bytes
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(data[:-cut]) if cut != 20 else data[:-cut])
    with pytest.raises(ValueError, match=r"short\.gz.*truncated"):
        read_idx(path)


def test_read_idx_trailing_bytes_and_broken_gzip(tmp_path, idx_bytes):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(np.zeros(3, dtype=np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(path)
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(300, dtype=np.uint8)))[:-12])
    with pytest.raises(ValueError, match=r"cut\.gz.*gzip"):
        read_idx(path)
