"""Tests for nnfs_lab.datasets.download: verified, atomic downloads (no internet)."""

from __future__ import annotations

import hashlib

import pytest

from nnfs_lab.datasets import DownloadError, FileSpec, download_file, ensure_files
from nnfs_lab.datasets.fashion import FASHION_MNIST_FILES, FASHION_MNIST_URLS


def test_interrupted_download_leaves_no_file(tmp_path):
    spec = FileSpec("x.gz", sha256="0" * 64)

    def fetch(url, out):
        out.write(b"partial bytes")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download_file("http://example.invalid/x.gz", tmp_path / "x.gz", spec, fetch=fetch)
    assert list(tmp_path.iterdir()) == []


def test_injected_fetch_and_mirror_fallback(tmp_path):
    payload = b"hello idx"
    spec = FileSpec("f.bin", sha256=hashlib.sha256(payload).hexdigest(), size=len(payload))
    calls = []

    def fetch(url, out):
        calls.append(url)
        if url.startswith("http://down/"):
            raise OSError("connection refused")
        out.write(payload)

    paths = ensure_files(tmp_path, [spec], ["http://down/", "http://up/"], fetch=fetch)
    assert paths["f.bin"].read_bytes() == payload
    assert calls == ["http://down/f.bin", "http://up/f.bin"]
    ensure_files(tmp_path, [spec], ["http://down/"], fetch=fetch)  # cached: no fetch
    assert len(calls) == 2


def test_corrupt_cached_file_is_replaced(tmp_path):
    payload = b"good bytes"
    spec = FileSpec("f.bin", md5=hashlib.md5(payload).hexdigest())
    (tmp_path / "f.bin").write_bytes(b"bad")
    ensure_files(tmp_path, [spec], ["x://"], fetch=lambda url, out: out.write(payload))
    assert (tmp_path / "f.bin").read_bytes() == payload


def test_offline_error_names_url_and_target_path(tmp_path):
    home = tmp_path / "cache"

    def offline(url, out):
        raise OSError("[Errno -2] Name or service not known")

    with pytest.raises(DownloadError) as info:
        ensure_files(home, FASHION_MNIST_FILES, FASHION_MNIST_URLS, fetch=offline)
    message = str(info.value)
    for base in FASHION_MNIST_URLS:
        assert base + "train-images-idx3-ubyte.gz" in message
    assert str((home / "train-images-idx3-ubyte.gz").resolve()) in message
    assert FASHION_MNIST_FILES[0].sha256 in message
    assert "t10k-labels-idx1-ubyte.gz" in message  # every missing file is listed
    assert not home.exists() or not any(home.iterdir())


def test_download_false_never_fetches(tmp_path):
    def fetch(url, out):
        raise AssertionError("must not fetch")

    spec = FileSpec("a.gz", sha256="0" * 64)
    with pytest.raises(DownloadError, match="download=False"):
        ensure_files(tmp_path, [spec], ["http://x/"], download=False, fetch=fetch)


def test_default_data_home(monkeypatch, tmp_path):
    from nnfs_lab.datasets import default_data_home

    monkeypatch.delenv("NNFS_LAB_DATA", raising=False)
    assert str(default_data_home()) == "datasets"
    monkeypatch.setenv("NNFS_LAB_DATA", str(tmp_path))
    assert default_data_home() == tmp_path
