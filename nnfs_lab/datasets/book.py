"""The book's generators ("Neural Networks from Scratch", ``nnfs.datasets``), reimplemented.

Every generator draws from ``np.random.default_rng(random_state)`` and never touches NumPy's global
generator, so the same seed always gives the same data whatever ran before.
"""

from __future__ import annotations

import numpy as np

from nnfs_lab.datasets.dataset import RandomState

__all__ = ["sine", "spiral", "vertical"]


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
