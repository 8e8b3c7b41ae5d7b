"""Safe persistence: NumPy arrays in an ``.npz`` archive plus a JSON header, never pickle.

The header (stored as the ``__meta__`` member) is a JSON object recording the format name and
version and a SHA-256 over the header itself (its canonical JSON without the ``sha256`` entry)
and every array (name, dtype, shape, bytes), so a truncated, edited or foreign file fails loudly
as :class:`ModelFileError` instead of loading wrong numbers. Files of format version 1 (whose
checksum covered the arrays only) still load.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT_VERSION", "READABLE_VERSIONS", "ModelFileError", "read_archive", "write_archive"]

FORMAT_VERSION = 2
#: Versions this code reads: 1 (checksum over the arrays only) and 2 (header included).
READABLE_VERSIONS = (1, 2)
_META = "__meta__"


class ModelFileError(ValueError):
    """A model or parameter file is missing, corrupt, tampered with or of another version."""


def _digest(arrays: dict[str, np.ndarray], header: dict[str, Any] | None = None) -> str:
    h = hashlib.sha256()
    if header is not None:
        body = {k: v for k, v in header.items() if k != "sha256"}
        h.update(json.dumps(body, sort_keys=True, allow_nan=True).encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def write_archive(path: str | os.PathLike, kind: str, meta: dict[str, Any], arrays: dict) -> Path:
    """Write ``arrays`` and a JSON ``meta`` header to ``path`` atomically.

    The file is written next to its destination and renamed into place, so an interrupted save
    never leaves a half-written file under the final name.
    """
    path = Path(path)
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    for name, a in arrays.items():
        if a.dtype == object:
            raise TypeError(f"array {name!r} has dtype object, which cannot be saved safely")
    header = {**meta, "format": "nnfs_lab", "kind": kind, "version": FORMAT_VERSION}
    header["sha256"] = _digest(arrays, header)
    blob = np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{_META: blob}, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _load(path: Path, kind: str) -> tuple[Any, dict]:
    """The raw header object and the arrays; any failure to parse is a ModelFileError."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ModelFileError(
                f"{path}: not an nnfs_lab {kind} file (a plain .npy array, not an archive)"
            )
        with loaded as npz:
            if _META not in npz.files:
                raise ModelFileError(f"{path}: not an nnfs_lab file (no {_META} header)")
            blob = npz[_META]
            if blob.dtype != np.uint8 or blob.ndim != 1:
                raise ModelFileError(f"{path}: the {_META} header is not a JSON byte string")
            header = json.loads(blob.tobytes().decode())
            arrays = {name: npz[name] for name in npz.files if name != _META}
    except ModelFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a damaged zip raises, the file is bad
        # (BadZipFile, EOFError, zlib/struct errors, a damaged shape's MemoryError, ...)
        raise ModelFileError(
            f"{path}: cannot be read as an nnfs_lab {kind} file (truncated or corrupt: "
            f"{type(exc).__name__}: {exc})"
        ) from exc
    return header, arrays


def read_archive(path: str | os.PathLike, kind: str) -> tuple[dict[str, Any], dict]:
    """Read an archive written by :func:`write_archive`, checking kind, version and checksum.

    Parameters
    ----------
    path : str or os.PathLike
    kind : str
        The kind of file expected (``"estimator"``, ``"model"``, ``"parameters"``).

    Returns
    -------
    header : dict
    arrays : dict of str to ndarray

    Raises
    ------
    ModelFileError
        Missing, not an archive, truncated, corrupt, another kind or version, or a checksum
        that does not match the header and arrays.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    header, arrays = _load(path, kind)
    if not isinstance(header, dict):
        raise ModelFileError(
            f"{path}: the header is a JSON {type(header).__name__}, not an object: not an "
            "nnfs_lab file or a damaged one"
        )
    if header.get("format") != "nnfs_lab" or header.get("kind") != kind:
        raise ModelFileError(
            f"{path}: expected an nnfs_lab {kind!r} file, found format={header.get('format')!r} "
            f"kind={header.get('kind')!r}"
        )
    version = header.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise ModelFileError(
            f"{path}: file format version {version!r} is not supported by this nnfs_lab "
            f"(reads versions {list(READABLE_VERSIONS)})"
        )
    expected = _digest(arrays, header if version >= 2 else None)
    if expected != header.get("sha256"):
        what = "header or arrays" if version >= 2 else "arrays"
        raise ModelFileError(f"{path}: checksum mismatch, the {what} were modified or damaged")
    return header, arrays
