"""Dataset registry: the book's generators, TensorFlow-Playground shapes, scikit-learn's bundled
sets and Fashion-MNIST (downloaded into ``datasets/``).

Every generator draws from ``np.random.default_rng(random_state)`` and never touches NumPy's global
generator, so the same seed always gives the same data whatever ran before. ``load(name)`` wraps any
of them in a :class:`Dataset`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnfs_lab import _idx

__all__ = [
    "Dataset",
    "blobs",
    "circle",
    "dataset_params",
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

read_idx = _idx.read_idx

RandomState = int | np.random.Generator | None


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A loaded dataset.

    Attributes
    ----------
    name : str
        Registry name.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        int64 class indices for classification, float for regression.
    task : {'classification', 'regression'}
    target_names : list of str or None
        Class names, index ``k`` naming class ``k``; None for regression.
    feature_names : list of str
    description : str
    X_test, y_test : ndarray or None
        The official test split, for datasets that have one (``fashion_mnist``).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    target_names: list[str] | None
    feature_names: list[str]
    description: str
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def n_classes(self) -> int | None:
        """Number of classes (None for regression)."""
        return None if self.target_names is None else len(self.target_names)

    def __repr__(self) -> str:
        # The default repr would print every array in full.
        def shape(a: np.ndarray | None) -> str:
            return "None" if a is None else f"{a.shape} {a.dtype}"

        test = f", X_test={shape(self.X_test)}" if self.X_test is not None else ""
        classes = f", n_classes={self.n_classes}" if self.n_classes is not None else ""
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, X={shape(self.X)}, "
            f"y={shape(self.y)}{classes}{test})"
        )


# ------------------------------------------------------------------------ the book (nnfs)


def spiral(
    n_samples: int = 100,
    n_classes: int = 3,
    *,
    noise: float = 0.2,
    random_state: RandomState = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The book's spiral data (``nnfs.datasets.spiral_data``) with a local generator.

    Parameters
    ----------
    n_samples : int
        Points **per class**.
    n_classes : int
        Number of spiral arms.
    noise : float
        Standard deviation of the angular jitter (the book uses 0.2).
    random_state : int, Generator or None
        Seed for ``np.random.default_rng``.

    Returns
    -------
    X : ndarray of shape (n_samples * n_classes, 2), float64
    y : ndarray of shape (n_samples * n_classes,), int64
    """
    rng = np.random.default_rng(random_state)
    X = np.zeros((n_samples * n_classes, 2))
    y = np.zeros(n_samples * n_classes, dtype=np.int64)
    r = np.linspace(0.0, 1.0, n_samples)
    for k in range(n_classes):
        ix = slice(n_samples * k, n_samples * (k + 1))
        t = np.linspace(k * 4.0, (k + 1) * 4.0, n_samples) + rng.standard_normal(n_samples) * noise
        X[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = k
    return X, y


def vertical(
    n_samples: int = 100,
    n_classes: int = 3,
    *,
    noise: float = 0.1,
    random_state: RandomState = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The book's vertical data (``nnfs.datasets.vertical_data``): one Gaussian blob per class.

    Class ``k`` is centred at ``(k / 3, 0.5)``; the book's ``/ 3`` is kept even when
    ``n_classes != 3`` so the geometry matches the book exactly.

    Parameters
    ----------
    n_samples : int
        Points **per class**.
    n_classes : int
        Number of blobs.
    noise : float
        Standard deviation of each blob (the book uses 0.1).
    random_state : int, Generator or None
        Seed for ``np.random.default_rng``.

    Returns
    -------
    X : ndarray of shape (n_samples * n_classes, 2), float64
    y : ndarray of shape (n_samples * n_classes,), int64
    """
    rng = np.random.default_rng(random_state)
    X = np.zeros((n_samples * n_classes, 2))
    y = np.zeros(n_samples * n_classes, dtype=np.int64)
    for k in range(n_classes):
        ix = slice(n_samples * k, n_samples * (k + 1))
        X[ix] = np.c_[
            rng.standard_normal(n_samples) * noise + k / 3,
            rng.standard_normal(n_samples) * noise + 0.5,
        ]
        y[ix] = k
    return X, y


def sine(
    n_samples: int = 1000,
    *,
    noise: float = 0.0,
    random_state: RandomState = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The book's sine data (``nnfs.datasets.sine_data``): one period of ``sin(2 pi x)`` on [0, 1).

    Parameters
    ----------
    n_samples : int
        Number of evenly spaced points.
    noise : float
        Standard deviation of Gaussian noise added to ``y`` (the book uses none).
    random_state : int, Generator or None
        Seed for ``np.random.default_rng`` (only used when ``noise > 0``).

    Returns
    -------
    X : ndarray of shape (n_samples, 1), float64
    y : ndarray of shape (n_samples, 1), float64
    """
    rng = np.random.default_rng(random_state)
    X = np.arange(n_samples).reshape(-1, 1) / n_samples
    y = np.sin(2 * np.pi * X)
    if noise:
        y = y + rng.standard_normal(y.shape) * noise
    return X, y


# ------------------------------------------------------------------ TensorFlow Playground
# Reimplemented from playground/src/dataset.ts. The Playground draws in a [-6, 6] box with a
# radius of 5; coordinates here are divided by that radius so every shape lies in about [-1, 1],
# the range of the book's spiral. `noise` keeps the Playground's meaning: its slider's 0-50 %
# becomes 0.0-0.5. Its labels +1 / -1 become classes 1 / 0.

_PG_RADIUS = 5.0


def _split_halves(n_samples: int) -> tuple[int, int]:
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2 for a two-class dataset; got {n_samples}")
    return n_samples // 2, n_samples - n_samples // 2


def circle(
    n_samples: int = 500, *, noise: float = 0.0, random_state: RandomState = None
) -> tuple[np.ndarray, np.ndarray]:
    """Playground "circle": a disc (class 1) inside a ring (class 0).

    Class 1 is drawn uniformly in radius ``[0, 0.5]``, class 0 in ``[0.7, 1.0]`` (Playground:
    ``[0, 2.5]`` and ``[3.5, 5]``). As in the Playground, ``noise`` does not move the points: it
    jitters the position used to *decide the label* (uniform in ``±noise``, in units of the
    radius), so noise > 0 flips labels near the boundary at ``r = 0.5``.

    Parameters
    ----------
    n_samples : int
        Total number of points, split evenly between the two classes.
    noise : float
        Label noise, 0.0 - 0.5 like the Playground's slider.
    random_state : int, Generator or None
        Seed for ``np.random.default_rng``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
    """
    rng = np.random.default_rng(random_state)
    n_in, n_out = _split_halves(n_samples)
    r = np.concatenate([rng.uniform(0.0, 0.5, n_in), rng.uniform(0.7, 1.0, n_out)])
    angle = rng.uniform(0.0, 2 * np.pi, n_samples)
    X = np.c_[r * np.sin(angle), r * np.cos(angle)]
    jitter = rng.uniform(-1.0, 1.0, (n_samples, 2)) * noise
    y = (np.hypot(*(X + jitter).T) < 0.5).astype(np.int64)
    return X, y


def xor(
    n_samples: int = 500, *, noise: float = 0.0, random_state: RandomState = None
) -> tuple[np.ndarray, np.ndarray]:
    """Playground "exclusive or": class 1 where ``x0 * x1 >= 0`` (quadrants I and III).

    Points are uniform in ``[-1, 1]^2`` pushed 0.06 away from both axes (Playground: padding 0.3
    of 5), leaving an empty cross between the quadrants. ``noise`` jitters the position used for
    the label, as in :func:`circle`.

    Parameters
    ----------
    n_samples : int
        Total number of points (classes are balanced only in expectation).
    noise : float
        Label noise, 0.0 - 0.5.
    random_state : int, Generator or None
        Seed for ``np.random.default_rng``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
    """
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    X += np.where(X > 0, 0.3, -0.3) / _PG_RADIUS
    jitter = rng.uniform(-1.0, 1.0, (n_samples, 2)) * noise
    Xl = X + jitter
    y = (Xl[:, 0] * Xl[:, 1] >= 0).astype(np.int64)
    return X, y


def gaussian(
    n_samples: int = 500, *, noise: float = 0.0, random_state: RandomState = None
) -> tuple[np.ndarray, np.ndarray]:
    """Playground "Gaussian": two isotropic Gaussians at ``(0.4, 0.4)`` (class 1) and
    ``(-0.4, -0.4)`` (class 0).

    ``noise`` sets the spread as in the Playground: the variance grows linearly from 0.5 at
    noise 0 to 4 at noise 0.5 (in Playground units; divided by ``5**2`` here).

    Parameters
    ----------
    n_samples : int
        Total number of points, split evenly between the two classes.
    noise : float
        Spread, 0.0 - 0.5.
    random_state : int, Generator or None
        Seed for ``np.random.default_rng``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
    """
    rng = np.random.default_rng(random_state)
    n_pos, n_neg = _split_halves(n_samples)
    variance = 0.5 + noise * (4.0 - 0.5) / 0.5
    std = np.sqrt(variance) / _PG_RADIUS
    centre = 2.0 / _PG_RADIUS
    X = np.concatenate(
        [
            rng.normal(centre, std, (n_pos, 2)),
            rng.normal(-centre, std, (n_neg, 2)),
        ]
    )
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    return X, y


def playground_spiral(
    n_samples: int = 500, *, noise: float = 0.0, random_state: RandomState = None
) -> tuple[np.ndarray, np.ndarray]:
    """Playground "spiral": two interleaved arms of 1.75 turns, radius 0 to 1.

    Arm ``i`` of ``n`` points is ``r = i / n``, ``t = 1.75 * 2 pi * i / n + delta``, with
    ``delta = 0`` for class 1 and ``pi`` for class 0; ``noise`` displaces each point uniformly by
    up to ``±noise`` (in units of the radius), as the Playground does.

    Parameters
    ----------
    n_samples : int
        Total number of points, split evenly between the two arms.
    noise : float
        Position noise, 0.0 - 0.5.
    random_state : int, Generator or None
        Seed for ``np.random.default_rng``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
    """
    rng = np.random.default_rng(random_state)
    parts = []
    for n, delta in zip(_split_halves(n_samples), (0.0, np.pi)):
        i = np.arange(n)
        r = i / n
        t = 1.75 * i / n * 2 * np.pi + delta
        parts.append(np.c_[r * np.sin(t), r * np.cos(t)])
    X = np.concatenate(parts) + rng.uniform(-1.0, 1.0, (n_samples, 2)) * noise
    n_pos, n_neg = _split_halves(n_samples)
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    return X, y


# ------------------------------------------------------------------------ scikit-learn


def _sklearn_seed(random_state: RandomState) -> int:
    """An int seed for sklearn, which does not accept ``np.random.Generator``."""
    return int(np.random.default_rng(random_state).integers(2**31 - 1))


def moons(
    n_samples: int = 500, *, noise: float = 0.1, random_state: RandomState = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (``sklearn.datasets.make_moons``).

    Parameters
    ----------
    n_samples : int
        Total number of points, split evenly between the two moons.
    noise : float
        Standard deviation of Gaussian noise added to the points.
    random_state : int, Generator or None
        Seed; turned into an int for sklearn, so the same seed always gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
    """
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples, noise=noise, random_state=_sklearn_seed(random_state))
    return X.astype(np.float64), y.astype(np.int64)


def blobs(
    n_samples: int = 500,
    n_classes: int = 3,
    *,
    n_features: int = 2,
    noise: float = 1.0,
    random_state: RandomState = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs (``sklearn.datasets.make_blobs``).

    Parameters
    ----------
    n_samples : int
        Total number of points, split evenly between the blobs.
    n_classes : int
        Number of blobs (``centers``), placed at random in ``[-10, 10]^n_features``.
    n_features : int
        Dimensions.
    noise : float
        Standard deviation of each blob (``cluster_std``).
    random_state : int, Generator or None
        Seed; turned into an int for sklearn.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), int64
    """
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples,
        n_features=n_features,
        centers=n_classes,
        cluster_std=noise,
        random_state=_sklearn_seed(random_state),
    )
    return X.astype(np.float64), y.astype(np.int64)


def _stratified_subset(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of ``n`` rows of ``y``, as class-balanced as the data allows."""
    if n > len(y):
        raise ValueError(f"asked for {n} samples but the dataset has only {len(y)}")
    perm = rng.permutation(len(y))
    if y.dtype.kind == "f":
        return np.sort(perm[:n])
    # Rank each row within its class (in shuffled order), then take the lowest ranks: the first
    # row of every class, then the second of every class, ... so each class gets n / k rows.
    y_perm = y[perm]
    order = np.argsort(y_perm, kind="stable")
    sorted_y = y_perm[order]
    rank = np.empty(len(y), dtype=np.int64)
    rank[order] = np.arange(len(y)) - np.searchsorted(sorted_y, sorted_y, side="left")
    return np.sort(perm[np.argsort(rank, kind="stable")[:n]])


def _bundled(
    name: str, n_samples: int | None, standardize: bool, random_state: RandomState
) -> Dataset:
    """Load one of sklearn's bundled datasets (no network) as a Dataset."""
    import sklearn.datasets as skd

    loader, task = _BUNDLED[name]
    bunch = getattr(skd, loader)()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64 if task == "classification" else np.float64)
    if n_samples is not None:
        keep = _stratified_subset(y, n_samples, np.random.default_rng(random_state))
        X, y = X[keep], y[keep]
    if standardize:
        # Fitted on the whole set: fine for quick looks; in cross-validation use a Pipeline with
        # StandardScaler instead so the test folds do not leak into the scaling.
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    target_names = [str(t) for t in bunch.target_names] if task == "classification" else None
    feature_names = [str(f) for f in getattr(bunch, "feature_names", [])] or [
        f"x{i}" for i in range(X.shape[1])
    ]
    return Dataset(
        name=name,
        X=X,
        y=y,
        task=task,
        target_names=target_names,
        feature_names=feature_names,
        description=_REGISTRY[name].description,
    )


_BUNDLED = {
    "digits": ("load_digits", "classification"),
    "iris": ("load_iris", "classification"),
    "wine": ("load_wine", "classification"),
    "breast_cancer": ("load_breast_cancer", "classification"),
    "diabetes": ("load_diabetes", "regression"),
}


# ---------------------------------------------------------------------------- Fashion-MNIST

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


def default_data_home() -> Path:
    """Cache directory: ``$NNFS_LAB_DATA`` or ``datasets/`` relative to the working directory."""
    return Path(os.environ.get("NNFS_LAB_DATA", "datasets"))


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

    Raises
    ------
    nnfs_lab._idx.DownloadError
        A file could not be fetched; the message names the URLs tried and the path to put the
        file at by hand.
    ValueError
        A cached file is not a valid IDX file, or the image and label counts disagree.
    """
    home = Path(data_home) if data_home is not None else default_data_home()
    urls = (base_url,) if base_url is not None else _idx.FASHION_MNIST_URLS
    paths = _idx.ensure_files(
        home, _idx.FASHION_MNIST_FILES, urls, download=download, checksums=checksums
    )
    rng = np.random.default_rng(random_state)

    def split(prefix: str, n: int | None) -> tuple[np.ndarray, np.ndarray]:
        images = read_idx(paths[f"{prefix}-images-idx3-ubyte.gz"])
        labels = read_idx(paths[f"{prefix}-labels-idx1-ubyte.gz"])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"Fashion-MNIST {prefix} files disagree: images {images.shape}, labels "
                f"{labels.shape} (expected (n, 28, 28) and (n,))"
            )
        y = labels.astype(np.int64)
        if n is not None:
            keep = _stratified_subset(y, n, rng)
            images, y = images[keep], y[keep]
        X = (images.reshape(len(images), -1).astype(np.float32) - 127.5) / 127.5
        return X, y

    X, y = split("train", n_samples)
    X_test, y_test = split("t10k", n_test_samples)
    return Dataset(
        name="fashion_mnist",
        X=X,
        y=y,
        task="classification",
        target_names=list(FASHION_MNIST_CLASSES),
        feature_names=[f"pixel{i}" for i in range(X.shape[1])],
        description=_REGISTRY["fashion_mnist"].description,
        X_test=X_test,
        y_test=y_test,
    )


# -------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class _Entry:
    func: Callable[..., Any]
    kind: str  # 'generated' | 'bundled' | 'downloaded'
    task: str
    shape: str  # human-readable default shape for the table
    description: str


def _bundled_loader(name: str) -> Callable[..., Dataset]:
    def load_bundled(
        *, n_samples: int | None = None, standardize: bool = False, random_state: RandomState = None
    ) -> Dataset:
        return _bundled(name, n_samples, standardize, random_state)

    load_bundled.__name__ = name
    return load_bundled


_REGISTRY: dict[str, _Entry] = {
    "spiral": _Entry(spiral, "generated", "classification", "300 x 2, 3 classes",
                     "The book's spiral: n_samples PER CLASS, one arm per class."),
    "vertical": _Entry(vertical, "generated", "classification", "300 x 2, 3 classes",
                       "The book's vertical data: one Gaussian blob per class at (k/3, 0.5)."),
    "sine": _Entry(sine, "generated", "regression", "1000 x 1",
                   "The book's sine: X = arange(n)/n, y = sin(2 pi X)."),
    "circle": _Entry(circle, "generated", "classification", "500 x 2, 2 classes",
                     "TF Playground circle: disc (1) inside a ring (0); noise = label noise."),
    "xor": _Entry(xor, "generated", "classification", "500 x 2, 2 classes",
                  "TF Playground exclusive-or quadrants with padding; noise = label noise."),
    "gaussian": _Entry(gaussian, "generated", "classification", "500 x 2, 2 classes",
                       "TF Playground two Gaussians; noise widens them."),
    "playground_spiral": _Entry(playground_spiral, "generated", "classification",
                                "500 x 2, 2 classes",
                                "TF Playground two-arm spiral; noise moves the points."),
    "moons": _Entry(moons, "generated", "classification", "500 x 2, 2 classes",
                    "sklearn make_moons: two interleaving half circles."),
    "blobs": _Entry(blobs, "generated", "classification", "500 x 2, 3 classes",
                    "sklearn make_blobs: isotropic Gaussian blobs."),
    "digits": _Entry(_bundled_loader("digits"), "bundled", "classification",
                     "1797 x 64, 10 classes", "sklearn digits: 8x8 images, pixels 0-16."),
    "iris": _Entry(_bundled_loader("iris"), "bundled", "classification", "150 x 4, 3 classes",
                   "sklearn iris: Fisher's flower measurements."),
    "wine": _Entry(_bundled_loader("wine"), "bundled", "classification", "178 x 13, 3 classes",
                   "sklearn wine: chemical analysis of three cultivars."),
    "breast_cancer": _Entry(_bundled_loader("breast_cancer"), "bundled", "classification",
                            "569 x 30, 2 classes",
                            "sklearn breast cancer (Wisconsin diagnostic)."),
    "diabetes": _Entry(_bundled_loader("diabetes"), "bundled", "regression", "442 x 10",
                       "sklearn diabetes: disease progression after one year (regression)."),
    "fashion_mnist": _Entry(fashion_mnist, "downloaded", "classification",
                            "60000 x 784 (+10000 test), 10 classes",
                            "Zalando Fashion-MNIST, scaled to [-1, 1] float32; official split."),
}  # fmt: skip

# Class names where "class k" would hide what the classes mean.
_GENERATED_TARGETS: dict[str, list[str]] = {
    "circle": ["ring", "disc"],
    "xor": ["quadrants II/IV", "quadrants I/III"],
}


def list_datasets() -> list[str]:
    """Names accepted by :func:`load`, in registry order."""
    return list(_REGISTRY)


def dataset_params(name: str) -> dict[str, Any]:
    """Keyword parameters accepted by ``load(name, ...)`` with their defaults.

    Lets a config reader reject unknown keys before loading anything.
    """
    entry = _entry(name)
    params = {
        p.name: p.default
        for p in inspect.signature(entry.func).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    return params


def _entry(name: str) -> _Entry:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r}; available: {', '.join(list_datasets())}"
        ) from None


def load(name: str, *, random_state: RandomState = None, **params: Any) -> Dataset:
    """Load or generate a dataset by name.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.
    random_state : int, Generator or None
        Seed for generation (or for the subset, for fixed datasets given ``n_samples``).
    **params
        Passed to the dataset's function (e.g. ``n_samples``, ``noise``); see
        :func:`dataset_params`.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown name (the message lists the available ones) or unknown parameter (the message
        names it and lists the accepted ones).
    """
    entry = _entry(name)
    accepted = dataset_params(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"dataset {name!r} got unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"accepted: {', '.join(k for k in accepted if k != 'random_state')}"
        )
    result = entry.func(random_state=random_state, **params)
    if isinstance(result, Dataset):
        return result
    X, y = result
    if entry.task == "classification":
        n_classes = int(y.max()) + 1 if len(y) else 0
        target_names = list(_GENERATED_TARGETS.get(name, [f"class {k}" for k in range(n_classes)]))
    else:
        target_names = None
    return Dataset(
        name=name,
        X=X,
        y=y,
        task=entry.task,
        target_names=target_names,
        feature_names=[f"x{i}" for i in range(X.shape[1])],
        description=entry.description,
    )


def format_dataset_table() -> str:
    """A plain-text table of every dataset (for ``nnfs-lab datasets``), without loading any."""
    rows = [("name", "source", "task", "default shape", "description")]
    rows += [(name, e.kind, e.task, e.shape, e.description) for name, e in _REGISTRY.items()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(row[4]))
    return "\n".join(lines)
