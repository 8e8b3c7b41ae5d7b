"""Dataset test helpers: IDX files written by hand and a fake Fashion-MNIST mirror."""

from __future__ import annotations

import gzip
import hashlib
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


def _idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    """An IDX file written by hand (independent of the reader under test)."""
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[type_byte]
    header = bytes([0, 0, type_byte, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.asarray(array, dtype=dtype).tobytes()


def _make_fake_fashion(src: Path, n_train: int = 40, n_test: int = 20) -> dict[str, str]:
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
            data = gzip.compress(_idx_bytes(array))
            (src / name).write_bytes(data)
            checksums[name] = hashlib.sha256(data).hexdigest()
    return checksums


@pytest.fixture
def idx_bytes() -> Callable[..., bytes]:
    """``idx_bytes(array, type_byte=0x08)``: the bytes of an IDX file holding ``array``."""
    return _idx_bytes


@pytest.fixture
def make_fake_fashion() -> Callable[..., dict[str, str]]:
    """``make_fake_fashion(src)``: write a tiny Fashion-MNIST mirror, return its checksums."""
    return _make_fake_fashion
