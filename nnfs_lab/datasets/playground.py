"""TensorFlow Playground's two-class shapes, reimplemented from playground/src/dataset.ts.

The Playground draws in a [-6, 6] box with a radius of 5; coordinates here are divided by that
radius so every shape lies in about [-1, 1], the range of the book's spiral. ``noise`` keeps the
Playground's meaning: its slider's 0-50 % becomes 0.0-0.5. Its labels +1 / -1 become classes 1 / 0.
Like the book's generators, each draws from its own ``np.random.default_rng(random_state)``.
"""

from __future__ import annotations

import numpy as np

from nnfs_lab.datasets.dataset import RandomState

__all__ = ["circle", "gaussian", "playground_spiral", "xor"]

_PG_RADIUS = 5.0


def _split_halves(n_samples: int) -> tuple[int, int]:
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2 for a two-class dataset; got {n_samples}")
    return n_samples // 2, n_samples - n_samples // 2


def _positives_first(n_pos: int, n_neg: int) -> np.ndarray:
    """Labels for ``n_pos`` class-1 rows followed by ``n_neg`` class-0 rows."""
    return np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]


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
    return X, _positives_first(n_pos, n_neg)


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
    n_pos, n_neg = _split_halves(n_samples)
    parts = []
    for n, delta in zip((n_pos, n_neg), (0.0, np.pi)):
        i = np.arange(n)
        r = i / n
        t = 1.75 * i / n * 2 * np.pi + delta
        parts.append(np.c_[r * np.sin(t), r * np.cos(t)])
    X = np.concatenate(parts) + rng.uniform(-1.0, 1.0, (n_samples, 2)) * noise
    return X, _positives_first(n_pos, n_neg)
