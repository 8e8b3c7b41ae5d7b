"""Checksum-verified, atomic downloads into a local cache directory. Standard library only.

Kept apart from the Fashion-MNIST loader so that any downloaded dataset can reuse it, and so that
tests can inject a ``fetch`` instead of touching the network.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "ChecksumError",
    "DownloadError",
    "Fetch",
    "FileSpec",
    "default_data_home",
    "download_file",
    "ensure_files",
]

_CHUNK = 1 << 20

Fetch = Callable[[str, BinaryIO], None]


@dataclass(frozen=True)
class FileSpec:
    """One file to download: its name, expected size and checksums.

    ``sha256`` is verified when set; otherwise ``md5``. At least one must be set.
    """

    filename: str
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None


class DownloadError(OSError):
    """No URL could deliver a file; the message names the URLs and where to put it by hand."""


class ChecksumError(DownloadError):
    """A downloaded file did not match its expected checksum (and was not kept)."""


def default_data_home() -> Path:
    """Cache directory: ``$NNFS_LAB_DATA`` or ``datasets/`` relative to the working directory."""
    return Path(os.environ.get("NNFS_LAB_DATA", "datasets"))


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

    Returns
    -------
    Path
        ``dest``.

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


def _download_from_mirrors(
    spec: FileSpec,
    data_home: Path,
    files: Sequence[FileSpec],
    base_urls: Sequence[str],
    *,
    download: bool,
    fetch: Fetch | None,
) -> None:
    """Fetch ``spec`` into ``data_home`` from the first mirror that has it; else DownloadError."""
    dest = data_home / spec.filename
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
            return
    missing = [s.filename for s in files if not (data_home / s.filename).is_file()]
    raise DownloadError(
        f"could not download {spec.filename}:\n"
        + "\n".join(failures)
        + f"\nIf you are offline, download it elsewhere and put it at {dest.resolve()} "
        f"({expected}). Files still missing in {data_home.resolve()}: "
        f"{', '.join(missing)}. Set NNFS_LAB_DATA or data_home= to use another directory."
    )


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
        if not (dest.is_file() and _checksum_problem(dest, spec) is None):
            _download_from_mirrors(
                spec, data_home, files, base_urls, download=download, fetch=fetch
            )
        paths[spec.filename] = dest
    return paths
