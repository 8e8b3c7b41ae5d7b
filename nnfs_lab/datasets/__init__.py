"""Dataset registry: the book's generators, TensorFlow-Playground shapes, scikit-learn's bundled
sets and Fashion-MNIST (downloaded into ``datasets/``).

Every generator draws from ``np.random.default_rng(random_state)`` and never touches NumPy's global
generator, so the same seed always gives the same data whatever ran before. ``load(name)`` wraps any
of them in a :class:`Dataset`.

Modules: :mod:`~nnfs_lab.datasets.registry` (names, ``load``), :mod:`~nnfs_lab.datasets.book`,
:mod:`~nnfs_lab.datasets.playground`, :mod:`~nnfs_lab.datasets.bundled` (scikit-learn),
:mod:`~nnfs_lab.datasets.fashion` (Fashion-MNIST), :mod:`~nnfs_lab.datasets.idx` (the file
format) and :mod:`~nnfs_lab.datasets.download` (verified downloads). Importing the package loads
NumPy only; scikit-learn is imported when one of its datasets is loaded.
"""

from __future__ import annotations

from nnfs_lab.datasets.book import sine, spiral, vertical
from nnfs_lab.datasets.bundled import blobs, moons
from nnfs_lab.datasets.dataset import Dataset, RandomState
from nnfs_lab.datasets.download import (
    ChecksumError,
    DownloadError,
    FileSpec,
    default_data_home,
    download_file,
    ensure_files,
)
from nnfs_lab.datasets.fashion import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_FILES,
    FASHION_MNIST_URLS,
    fashion_mnist,
)
from nnfs_lab.datasets.idx import read_idx
from nnfs_lab.datasets.playground import circle, gaussian, playground_spiral, xor
from nnfs_lab.datasets.registry import dataset_params, format_dataset_table, list_datasets, load

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_URLS",
    "ChecksumError",
    "Dataset",
    "DownloadError",
    "FileSpec",
    "RandomState",
    "blobs",
    "circle",
    "dataset_params",
    "default_data_home",
    "download_file",
    "ensure_files",
    "fashion_mnist",
    "format_dataset_table",
    "gaussian",
    "list_datasets",
    "load",
    "moons",
    "playground_spiral",
    "read_idx",
    "sine",
    "spiral",
    "vertical",
    "xor",
]
