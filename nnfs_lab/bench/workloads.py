"""The data and networks :mod:`nnfs_lab.bench` times its peers on.

A *workload* is one dataset, network and batch size. All peers of a workload start from the
same weights: scikit-learn's Glorot draw for ``random_state=seed`` (read off an MLPClassifier
that took one SGD step with learning rate 1e-12, see :func:`mlp_initial_weights`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "WORKLOAD_KINDS",
    "Workload",
    "epoch_flops",
    "make_workload",
    "mlp_initial_weights",
    "standardize",
    "synthetic_mnist",
]

#: Workload kinds in table order.
WORKLOAD_KINDS = ("mnist", "digits", "spiral")
_HIDDEN = {"mnist": (128, 64), "digits": (128, 64), "spiral": (64,)}


@dataclass
class Workload:
    """One dataset, network and batch size; ``X_*`` are float64, standardized.

    Attributes
    ----------
    name : str
        ``kind/b<batch_size>``, as printed.
    X_train, y_train, X_test, y_test : ndarray
        The data; labels are ``0 .. n_classes - 1``.
    hidden : tuple of int
        Hidden layer sizes.
    batch_size : int
        Minibatch size of every peer.
    learning_rate : float
        Adam's learning rate for every peer.
    epochs_per_block : int
        Epochs timed as one block (small data: enough for a measurable block).
    small : bool
        Whether the data is small enough that a block has several epochs.
    seed : int
        Seed of the data split and of the initial weights.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    hidden: tuple[int, ...]
    batch_size: int
    learning_rate: float = 1e-3
    epochs_per_block: int = 1
    small: bool = False
    seed: int = 0
    cast_cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return int(self.y_train.max()) + 1

    @property
    def steps_per_epoch(self) -> int:
        """Minibatches per epoch (the last one may be short)."""
        return -(-self.X_train.shape[0] // self.batch_size)

    @property
    def layer_sizes(self) -> list[int]:
        """Inputs, hidden sizes and outputs."""
        return [self.X_train.shape[1], *self.hidden, self.n_classes]

    def data(self, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        """Train and test inputs in ``dtype``, cast once and shared by the peers.

        Parameters
        ----------
        dtype : dtype-like
            ``float32`` or ``float64``.

        Returns
        -------
        tuple of ndarray
            C-contiguous ``(X_train, X_test)``.
        """
        key = np.dtype(dtype).name
        if key not in self.cast_cache:
            self.cast_cache[key] = (
                np.ascontiguousarray(self.X_train, dtype=dtype),
                np.ascontiguousarray(self.X_test, dtype=dtype),
            )
        return self.cast_cache[key]


def epoch_flops(layer_sizes: list[int], n_samples: int) -> float:
    """Floating-point operations of one epoch's matrix products.

    Forward ``x @ W`` per layer, backward ``x.T @ d`` per layer and ``d @ W.T`` for all but the
    first layer (whose input gradient no peer computes); 2 flops per multiply-add.

    Parameters
    ----------
    layer_sizes : list of int
        Inputs, hidden sizes and outputs.
    n_samples : int
        Training samples per epoch.

    Returns
    -------
    float
    """
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    macs = sum(3 * i * o for i, o in pairs) - pairs[0][0] * pairs[0][1]
    return 2.0 * macs * n_samples


def synthetic_mnist(n_train: int, n_test: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """MNIST-shaped synthetic data: 784 features, 10 classes.

    Two clusters per class in a 40-dimensional latent space, mixed into 784 dimensions with a
    tanh and pixel noise: as hard as MNIST for a small MLP, without a download.

    Parameters
    ----------
    n_train, n_test : int
        Sample counts.
    seed : int
        Seed of the generator.

    Returns
    -------
    tuple of ndarray
        ``(X_train, X_test, y_train, y_test)``, inputs standardized on the training part.
    """
    rng = np.random.default_rng(seed)
    n, latent, k = n_train + n_test, 40, 10
    centers = rng.standard_normal((2 * k, latent)) * 0.55
    y = rng.integers(0, k, n)
    z = centers[2 * y + rng.integers(0, 2, n)]
    z += rng.standard_normal((n, latent))
    mix = rng.standard_normal((latent, 784)) / math.sqrt(latent)
    X = np.tanh(z @ mix)
    X += 0.5 * rng.standard_normal(X.shape)
    return standardize(X[:n_train], X[n_train:]) + (y[:n_train], y[n_train:])


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale both parts by the training part's mean and standard deviation.

    Parameters
    ----------
    X_train, X_test : ndarray

    Returns
    -------
    tuple of ndarray
        ``(X_train, X_test)`` scaled; constant columns are only centred.
    """
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0
    return (X_train - mean) / std, (X_test - mean) / std


def _load(kind: str, quick: bool, seed: int) -> tuple[np.ndarray, ...]:
    from sklearn.model_selection import train_test_split

    if kind == "mnist":
        n_train, n_test = (2000, 500) if quick else (60000, 10000)
        return synthetic_mnist(n_train, n_test, seed)
    if kind == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        parts = train_test_split(X / 16.0, y, test_size=0.2, stratify=y, random_state=seed)
        return (*standardize(parts[0], parts[1]), parts[2], parts[3])
    if kind == "spiral":
        from nnfs_lab.datasets import spiral

        X, y = spiral(300 if quick else 1000, 3, random_state=seed)
        return tuple(train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed))
    raise ValueError(f"unknown workload {kind!r}; expected one of {WORKLOAD_KINDS}")


def make_workload(
    kind: str, batch_size: int, *, quick: bool, min_batches: int, seed: int = 0, cache: dict
) -> Workload:
    """Build one workload.

    Parameters
    ----------
    kind : {"mnist", "digits", "spiral"}
        ``mnist``: synthetic 60000 x 784, 784-128-64-10; ``digits``: 1797 x 64, 64-128-64-10;
        ``spiral``: 3000 x 2, 2-64-3.
    batch_size : int
        Minibatch size.
    quick : bool
        Smaller data (checks that the benchmark runs; measures nothing).
    min_batches : int
        Small data: minibatches per timed block at least (blocks of whole epochs).
    seed : int
        Seed of the data and of the initial weights.
    cache : dict
        Data built once per kind and shared between batch sizes.

    Returns
    -------
    Workload
    """
    if kind not in cache:
        cache[kind] = _load(kind, quick, seed)
    X_train, X_test, y_train, y_test = cache[kind]
    # Adam at 1e-3, except the spiral: at 1e-3 it is still in its slow early phase after the
    # benchmark's epochs, where one seed's accuracy swings by several points.
    lr = 0.01 if kind == "spiral" else 1e-3
    wl = Workload(
        f"{kind}/b{batch_size}",
        X_train,
        y_train,
        X_test,
        y_test,
        _HIDDEN[kind],
        batch_size,
        learning_rate=lr,
        small=kind != "mnist",
        seed=seed,
    )
    if wl.small:
        # Small epochs take milliseconds: time blocks of epochs long enough to measure.
        wl.epochs_per_block = max(1, math.ceil(min_batches / wl.steps_per_epoch))
    return wl


def mlp_initial_weights(wl: Workload) -> list[tuple[np.ndarray, np.ndarray]]:
    """The weights ``MLPClassifier(random_state=wl.seed)`` starts from.

    scikit-learn draws them inside the first ``fit``/``partial_fit``; one SGD step with
    learning rate 1e-12 moves them by ~1e-12, so the probe's coefficients are the initial draw.

    Parameters
    ----------
    wl : Workload

    Returns
    -------
    list of (ndarray, ndarray)
        ``(W, b)`` float64 pairs, one per layer.
    """
    from sklearn.neural_network import MLPClassifier

    k = wl.n_classes
    idx = np.concatenate([np.flatnonzero(wl.y_train == c)[:1] for c in range(k)])
    probe = MLPClassifier(
        wl.hidden,
        solver="sgd",
        learning_rate_init=1e-12,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=len(idx),
        random_state=wl.seed,
    )
    probe.partial_fit(wl.X_train[idx], wl.y_train[idx], classes=np.arange(k))
    return [(w.copy(), b.copy()) for w, b in zip(probe.coefs_, probe.intercepts_)]
