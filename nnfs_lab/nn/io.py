"""Safe persistence: NumPy arrays in an ``.npz`` archive plus a JSON header, never pickle.

The header (stored as the ``__meta__`` member) records the format name and version and a SHA-256
over every array (name, dtype, shape, bytes), so a truncated, edited or foreign file fails loudly
instead of loading wrong numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT_VERSION", "ModelFileError", "write_archive", "read_archive"]

FORMAT_VERSION = 1
_META = "__meta__"


class ModelFileError(ValueError):
    """A model or parameter file is missing, corrupt, tampered with or of another version."""


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
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
    header = {
        "format": "nnfs_lab",
        "kind": kind,
        "version": FORMAT_VERSION,
        "sha256": _digest(arrays),
        **meta,
    }
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


def read_archive(path: str | os.PathLike, kind: str) -> tuple[dict[str, Any], dict]:
    """Read an archive written by :func:`write_archive`, checking kind, version and checksum."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if _META not in npz.files:
                raise ModelFileError(f"{path}: not an nnfs_lab file (no {_META} header)")
            header = json.loads(npz[_META].tobytes().decode())
            arrays = {name: npz[name] for name in npz.files if name != _META}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise ModelFileError(
            f"{path}: cannot be read as an nnfs_lab {kind} file (truncated or corrupt: {exc})"
        ) from exc
    if header.get("format") != "nnfs_lab" or header.get("kind") != kind:
        raise ModelFileError(
            f"{path}: expected an nnfs_lab {kind!r} file, found format={header.get('format')!r} "
            f"kind={header.get('kind')!r}"
        )
    if header.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: file format version {header.get('version')!r} is not supported by this "
            f"nnfs_lab (expects version {FORMAT_VERSION})"
        )
    if _digest(arrays) != header.get("sha256"):
        raise ModelFileError(f"{path}: checksum mismatch, the arrays were modified or damaged")
    return header, arrays
