"""Zalando's Fashion-MNIST: the official files, their checksums and mirrors, and the loader.

The module is named ``fashion`` rather than ``fashion_mnist`` so that the package attribute
``nnfs_lab.datasets.fashion_mnist`` (the loader, re-exported) does not shadow a submodule.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from nnfs_lab.datasets._sampling import stratified_subset
from nnfs_lab.datasets.dataset import Dataset, RandomState
from nnfs_lab.datasets.download import FileSpec, default_data_home, ensure_files
from nnfs_lab.datasets.idx import read_idx

__all__ = [
    "DESCRIPTION",
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_URLS",
    "SHAPE",
    "fashion_mnist",
]

DESCRIPTION = "Zalando Fashion-MNIST, scaled to [-1, 1] float32; official split."
SHAPE = "60000 x 784 (+10000 test), 10 classes"

FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

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


def _read_split(
    paths: Mapping[str, Path], prefix: str, n: int | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one split (``train`` or ``t10k``), subset and scaled as the book."""
    images = read_idx(paths[f"{prefix}-images-idx3-ubyte.gz"])
    labels = read_idx(paths[f"{prefix}-labels-idx1-ubyte.gz"])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"Fashion-MNIST {prefix} files disagree: images {images.shape}, labels "
            f"{labels.shape} (expected (n, 28, 28) and (n,))"
        )
    y = labels.astype(np.int64)
    if n is not None:
        keep = stratified_subset(y, n, rng)
        images, y = images[keep], y[keep]
    X = (images.reshape(len(images), -1).astype(np.float32) - 127.5) / 127.5
    return X, y


def fashion_mnist(
    *,
    n_samples: int | None = None,
    n_test_samples: int | None = None,
    data_home: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    download: bool = True,
    checksums: Mapping[str, str] | None = None,
    random_state: RandomState = None,
) -> Dataset:
    """Zalando's Fashion-MNIST, downloaded once into ``data_home``, scaled as in the book.

    Pixels become ``(x - 127.5) / 127.5`` in float32 (range [-1, 1]) and images are flattened to
    784 features. The official split is kept: 60,000 training rows in ``X``/``y`` and 10,000 test
    rows in ``X_test``/``y_test``.

    Parameters
    ----------
    n_samples, n_test_samples : int, optional
        Class-balanced random subsets of the training / test rows, for quick runs.
    data_home : path-like, optional
        Cache directory; default ``$NNFS_LAB_DATA`` or ``./datasets``.
    base_url : str, optional
        One mirror to use instead of the official ones (``file://`` URLs work too).
    download : bool
        If False, never touch the network: raise when a file is missing.
    checksums : mapping, optional
        ``filename -> sha256`` overriding the official checksums (re-packed mirrors, tests).
    random_state : int, Generator or None
        Seed for the subsets.

    Returns
    -------
    Dataset

    Raises
    ------
    nnfs_lab.datasets.DownloadError
        A file could not be fetched; the message names the URLs tried and the path to put the
        file at by hand.
    ValueError
        A cached file is not a valid IDX file, or the image and label counts disagree.
    """
    home = Path(data_home) if data_home is not None else default_data_home()
    urls = (base_url,) if base_url is not None else FASHION_MNIST_URLS
    paths = ensure_files(home, FASHION_MNIST_FILES, urls, download=download, checksums=checksums)
    rng = np.random.default_rng(random_state)
    X, y = _read_split(paths, "train", n_samples, rng)
    X_test, y_test = _read_split(paths, "t10k", n_test_samples, rng)
    return Dataset(
        name="fashion_mnist",
        X=X,
        y=y,
        task="classification",
        target_names=list(FASHION_MNIST_CLASSES),
        feature_names=[f"pixel{i}" for i in range(X.shape[1])],
        description=DESCRIPTION,
        X_test=X_test,
        y_test=y_test,
    )
