"""IDX files (the MNIST / Fashion-MNIST format) and checksum-verified, atomic downloads.

Kept apart from :mod:`nnfs_lab.datasets` so the registry stays small; nothing here imports
anything but the standard library and NumPy.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = [
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_URLS",
    "ChecksumError",
    "DownloadError",
    "FileSpec",
    "download_file",
    "ensure_files",
    "read_idx",
]

# IDX type byte -> big-endian NumPy dtype (see "THE IDX FILE FORMAT" on yann.lecun.com/exdb/mnist).
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileSpec:
    """One file to download: its name, expected size and checksums.

    ``sha256`` is verified when set; otherwise ``md5``. At least one must be set.
    """

    filename: str
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None


# Official Fashion-MNIST distribution. SHA-256 and sizes from tensorflow-datasets'
# url_checksums/fashion_mnist.txt; MD5 from the zalandoresearch/fashion-mnist README (the same
# values torchvision checks). Both are verified.
FASHION_MNIST_FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "train-images-idx3-ubyte.gz",
        sha256="3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        md5="8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        size=26421880,
    ),
    FileSpec(
        "train-labels-idx1-ubyte.gz",
        sha256="a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        md5="25c81989df183df01b3e8a0aad5dffbe",
        size=29515,
    ),
    FileSpec(
        "t10k-images-idx3-ubyte.gz",
        sha256="346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        md5="bef4ecab320f06d8554ea6380940ec79",
        size=4422102,
    ),
    FileSpec(
        "t10k-labels-idx1-ubyte.gz",
        sha256="67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        md5="bb300cfdad3c16e7a12a480ee83cd310",
        size=5148,
    ),
)

# Tried in order. The GitHub copy holds byte-identical files (same checksums), so it is a safe
# fallback when the S3 website endpoint is unreachable.
FASHION_MNIST_URLS: tuple[str, ...] = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

Fetch = Callable[[str, BinaryIO], None]


class DownloadError(OSError):
    """No URL could deliver a file; the message names the URLs and where to put it by hand."""


class ChecksumError(DownloadError):
    """A downloaded file did not match its expected checksum (and was not kept)."""


# --------------------------------------------------------------------------------------- IDX


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
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip stream ({exc})") from exc
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
    dtype = _IDX_DTYPES[type_byte]
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


# ---------------------------------------------------------------------------------- download


def _urlopen_fetch(url: str, out: BinaryIO) -> None:
    """Default fetch: stream ``url`` (http, https or file) into ``out``."""
    with urllib.request.urlopen(url, timeout=60) as response:
        while chunk := response.read(_CHUNK):
            out.write(chunk)


def _digests(path: Path) -> tuple[str, str]:
    sha256, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            sha256.update(chunk)
            md5.update(chunk)
    return sha256.hexdigest(), md5.hexdigest()


def _checksum_problem(path: Path, spec: FileSpec) -> str | None:
    """Why ``path`` does not match ``spec``, or None when it does."""
    if spec.sha256 is None and spec.md5 is None:
        raise ValueError(f"FileSpec {spec.filename!r} has neither sha256 nor md5")
    size = path.stat().st_size
    if spec.size is not None and size != spec.size:
        return f"size {size} bytes, expected {spec.size}"
    sha256, md5 = _digests(path)
    if spec.sha256 is not None and sha256 != spec.sha256.lower():
        return f"sha256 {sha256}, expected {spec.sha256}"
    if spec.md5 is not None and md5 != spec.md5.lower():
        return f"md5 {md5}, expected {spec.md5}"
    return None


def download_file(
    url: str, dest: str | os.PathLike[str], spec: FileSpec, *, fetch: Fetch | None = None
) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying ``spec``'s checksum.

    Bytes go to a temporary file in ``dest``'s directory (so the final ``os.replace`` is an atomic
    rename on the same file system); it is deleted on any failure, including ``KeyboardInterrupt``,
    so an interrupted or corrupt download never leaves a file at ``dest``.

    Parameters
    ----------
    url : str
        Source URL (``http``, ``https`` or ``file``).
    dest : path-like
        Final path.
    spec : FileSpec
        Expected size and checksums.
    fetch : callable, optional
        ``fetch(url, binary_file)`` writes the bytes at ``url`` into the open file. Defaults to
        ``urllib.request.urlopen``; injectable for tests and custom transports.

    Raises
    ------
    ChecksumError
        The bytes arrived but do not match ``spec``.
    OSError
        Whatever ``fetch`` raised (``urllib.error.URLError`` is an ``OSError``).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            (fetch or _urlopen_fetch)(url, out)
        problem = _checksum_problem(tmp, spec)
        if problem is not None:
            raise ChecksumError(f"checksum mismatch for {url}: {problem}; nothing was saved")
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def ensure_files(
    data_home: str | os.PathLike[str],
    files: Sequence[FileSpec],
    base_urls: Sequence[str],
    *,
    download: bool = True,
    fetch: Fetch | None = None,
    checksums: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Make sure every file in ``files`` is present in ``data_home`` and matches its checksum.

    Present, valid files are not downloaded again; a present file with a wrong checksum is
    replaced (atomically) by a fresh download.

    Parameters
    ----------
    data_home : path-like
        Cache directory.
    files : sequence of FileSpec
        What to fetch.
    base_urls : sequence of str
        Mirrors tried in order; each file's URL is ``base_url + filename``.
    download : bool
        If False, raise instead of downloading a missing file.
    fetch : callable, optional
        See :func:`download_file`.
    checksums : mapping, optional
        ``filename -> sha256`` overriding ``files`` (a re-packed mirror, or tests); the expected
        size and MD5 are then not checked.

    Returns
    -------
    dict
        ``filename -> Path`` of every verified file.

    Raises
    ------
    DownloadError
        No mirror delivered a valid file. The message lists each URL tried with its error and the
        exact path where the file can be put by hand.
    """
    data_home = Path(data_home)
    paths: dict[str, Path] = {}
    for spec in files:
        if checksums is not None and spec.filename in checksums:
            spec = FileSpec(spec.filename, sha256=checksums[spec.filename])
        dest = data_home / spec.filename
        if dest.is_file() and _checksum_problem(dest, spec) is None:
            paths[spec.filename] = dest
            continue
        expected = f"sha256 {spec.sha256}" if spec.sha256 else f"md5 {spec.md5}"
        if not download:
            raise DownloadError(
                f"{dest} is missing or corrupt and download=False. Put {spec.filename} "
                f"({expected}) there by hand, e.g. from {base_urls[0] + spec.filename}"
            )
        failures = []
        for base in base_urls:
            url = base + spec.filename
            try:
                download_file(url, dest, spec, fetch=fetch)
            except (OSError, ValueError) as exc:
                failures.append(f"  {url}: {exc}")
            else:
                break
        else:
            missing = [s.filename for s in files if not (data_home / s.filename).is_file()]
            raise DownloadError(
                f"could not download {spec.filename}:\n"
                + "\n".join(failures)
                + f"\nIf you are offline, download it elsewhere and put it at {dest.resolve()} "
                f"({expected}). Files still missing in {data_home.resolve()}: "
                f"{', '.join(missing)}. Set NNFS_LAB_DATA or data_home= to use another directory."
            )
        paths[spec.filename] = dest
    return paths
