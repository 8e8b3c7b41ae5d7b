"""The IDX file format (MNIST, Fashion-MNIST): a strict reader. Standard library and NumPy only."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

__all__ = ["read_idx"]

# IDX type byte -> big-endian NumPy dtype (see "THE IDX FILE FORMAT" on yann.lecun.com/exdb/mnist).
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _decompressed(path: Path) -> bytes:
    raw = path.read_bytes()
    # Detected by the gzip magic bytes rather than the suffix: mirrors differ in naming.
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip stream ({exc})") from exc
    return raw


def _header(path: Path, raw: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    """The payload's dtype, its shape and where it starts; ValueError for anything malformed."""
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, need at least 4)")
    magic = int.from_bytes(raw[:4], "big")
    zero, type_byte, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or type_byte not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{path}: not an IDX file (magic number 0x{magic:08X}; expected 0x0000TTDD with a "
            f"type byte TT in {{08, 09, 0B, 0C, 0D, 0E}} and DD >= 1 dimensions, e.g. 0x00000803 "
            f"for images or 0x00000801 for labels)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, need {header})")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return _IDX_DTYPES[type_byte], dims, header


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into an array.

    The header is checked strictly: two zero bytes, a known type byte, the number of dimensions,
    then one big-endian uint32 per dimension; the payload must hold exactly the product of the
    dimensions in elements, no more and no less.

    Parameters
    ----------
    path : path-like
        ``*.gz`` files (detected by their magic bytes, not the suffix) or raw IDX files.

    Returns
    -------
    ndarray
        Native-endian array of shape ``dims``, e.g. ``(60000, 28, 28)`` uint8 for images
        (magic ``0x00000803``) or ``(60000,)`` uint8 for labels (magic ``0x00000801``).

    Raises
    ------
    ValueError
        Wrong magic number, unknown type byte, truncated header or payload, trailing bytes, or a
        corrupt gzip stream. The message names the file.
    """
    path = Path(path)
    raw = _decompressed(path)
    dtype, dims, header = _header(path, raw)
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(
            f"{path}: IDX file {problem}: header says shape {dims} of {dtype.name} "
            f"({expected} bytes in all), file holds {len(raw)} bytes"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    # frombuffer gives a read-only, possibly big-endian view of `raw`; hand back a native copy.
    return data.astype(dtype.newbyteorder("="))
