"""What scikit-learn provides offline: its generators (moons, blobs) and its bundled tables.

scikit-learn is imported inside each function, so ``import nnfs_lab.datasets`` stays NumPy-only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnfs_lab.datasets._sampling import stratified_subset
from nnfs_lab.datasets.dataset import Dataset, RandomState

__all__ = ["BUNDLED", "BundledSet", "blobs", "bundled_loader", "load_bundled", "moons"]


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


@dataclass(frozen=True)
class BundledSet:
    """One of scikit-learn's bundled tables, as the registry lists it.

    Attributes
    ----------
    loader : str
        Name of the ``sklearn.datasets`` function that returns it.
    task : {'classification', 'regression'}
    shape : str
        Human-readable shape for the dataset table.
    description : str
    """

    loader: str
    task: str
    shape: str
    description: str


BUNDLED: dict[str, BundledSet] = {
    "digits": BundledSet("load_digits", "classification", "1797 x 64, 10 classes",
                         "sklearn digits: 8x8 images, pixels 0-16."),
    "iris": BundledSet("load_iris", "classification", "150 x 4, 3 classes",
                       "sklearn iris: Fisher's flower measurements."),
    "wine": BundledSet("load_wine", "classification", "178 x 13, 3 classes",
                       "sklearn wine: chemical analysis of three cultivars."),
    "breast_cancer": BundledSet("load_breast_cancer", "classification", "569 x 30, 2 classes",
                                "sklearn breast cancer (Wisconsin diagnostic)."),
    "diabetes": BundledSet("load_diabetes", "regression", "442 x 10",
                           "sklearn diabetes: disease progression after one year (regression)."),
}  # fmt: skip


def _standardize(X: np.ndarray) -> np.ndarray:
    # Fitted on the whole set: fine for quick looks; in cross-validation use a Pipeline with
    # StandardScaler instead so the test folds do not leak into the scaling.
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


def load_bundled(
    name: str,
    *,
    n_samples: int | None = None,
    standardize: bool = False,
    random_state: RandomState = None,
) -> Dataset:
    """Load one of scikit-learn's bundled datasets (no network) as a :class:`Dataset`.

    Parameters
    ----------
    name : str
        A key of :data:`BUNDLED`.
    n_samples : int, optional
        Class-balanced random subset of the rows.
    standardize : bool
        Z-score every feature over the (subset of the) data.
    random_state : int, Generator or None
        Seed for the subset.

    Returns
    -------
    Dataset
    """
    import sklearn.datasets as skd

    spec = BUNDLED[name]
    bunch = getattr(skd, spec.loader)()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64 if spec.task == "classification" else np.float64)
    if n_samples is not None:
        keep = stratified_subset(y, n_samples, np.random.default_rng(random_state))
        X, y = X[keep], y[keep]
    if standardize:
        X = _standardize(X)
    classification = spec.task == "classification"
    target_names = [str(t) for t in bunch.target_names] if classification else None
    feature_names = [str(f) for f in getattr(bunch, "feature_names", [])] or [
        f"x{i}" for i in range(X.shape[1])
    ]
    return Dataset(
        name=name,
        X=X,
        y=y,
        task=spec.task,
        target_names=target_names,
        feature_names=feature_names,
        description=spec.description,
    )


def bundled_loader(name: str) -> Callable[..., Dataset]:
    """:func:`load_bundled` bound to ``name``, with the keyword signature the registry inspects.

    Parameters
    ----------
    name : str
        A key of :data:`BUNDLED`.

    Returns
    -------
    callable
        ``loader(*, n_samples=None, standardize=False, random_state=None) -> Dataset``.
    """

    def load_named(
        *, n_samples: int | None = None, standardize: bool = False, random_state: RandomState = None
    ) -> Dataset:
        return load_bundled(
            name, n_samples=n_samples, standardize=standardize, random_state=random_state
        )

    load_named.__name__ = name
    return load_named
