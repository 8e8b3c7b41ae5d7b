"""A sweep's data: the experiment's data set split into validation folds and a held-out test set,
and the one place where a split is scaled (fitted on its training rows only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnfs_lab.sweeps.config import ExperimentConfig

__all__ = ["SplitData", "fold_arrays", "make_scaler", "prepare_data", "scale_split"]


@dataclass(frozen=True)
class SplitData:
    """A data set split for a sweep: folds of the training part, and the untouched test part.

    ``folds`` index into ``X_train``; a holdout validation is a single fold. Scaling is fitted
    per fold on its training rows only (and on all of ``X_train`` for the final refit).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    classes: np.ndarray


def _validation_folds(cfg: ExperimentConfig, X_tr, y_tr) -> tuple:
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    strat = cfg.split.stratify
    if cfg.split.cv:
        kf = (StratifiedKFold if strat else KFold)(cfg.split.cv, shuffle=True,
                                                    random_state=cfg.seed)  # fmt: skip
        return tuple((tr, va) for tr, va in kf.split(X_tr, y_tr))
    tr, va = train_test_split(np.arange(len(y_tr)), test_size=cfg.split.validation,
                              random_state=cfg.seed, stratify=y_tr if strat else None)  # fmt: skip
    return ((np.sort(tr), np.sort(va)),)


def prepare_data(cfg: ExperimentConfig) -> SplitData:
    """Load the configured data set and split it (deterministic given ``cfg.seed``)."""
    from sklearn.model_selection import train_test_split

    from nnfs_lab.datasets import load

    ds = load(cfg.dataset.name, random_state=cfg.seed, **cfg.dataset.params)
    if ds.task != "classification":
        raise ValueError(f"{cfg.path}: sweeps compare classifiers; {ds.name!r} is {ds.task}")
    X, y = np.asarray(ds.X), np.asarray(ds.y)
    if ds.X_test is not None:  # keep an official test split (fashion_mnist)
        X_tr, y_tr, X_te, y_te = X, y, np.asarray(ds.X_test), np.asarray(ds.y_test)
    else:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=cfg.split.test_size, random_state=cfg.seed,
            stratify=y if cfg.split.stratify else None,
        )  # fmt: skip
    folds = _validation_folds(cfg, X_tr, y_tr)
    return SplitData(X_tr, y_tr, X_te, y_te, folds, np.unique(y))


def make_scaler(kind: str) -> Any:
    """A fresh scaler for ``dataset.scale`` (``"standard"``, ``"minmax"``), or None."""
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    return {"standard": StandardScaler, "minmax": MinMaxScaler}.get(kind, lambda: None)()


def scale_split(kind: str, X_fit: np.ndarray, *others: np.ndarray) -> tuple[Any, list[np.ndarray]]:
    """Fit a ``kind`` scaler on ``X_fit`` and apply it to ``X_fit`` and ``others``.

    Returns
    -------
    scaler : fitted scaler or None
    arrays : list of ndarray
        ``[X_fit, *others]`` transformed (unchanged when ``kind`` is ``"none"``).
    """
    scaler = make_scaler(kind)
    if scaler is None:
        return None, [X_fit, *others]
    return scaler, [scaler.fit_transform(X_fit), *(scaler.transform(X) for X in others)]


def fold_arrays(data: SplitData, fold: int, kind: str) -> tuple[np.ndarray, ...]:
    """``(X_tr, y_tr, X_va, y_va)`` of validation fold ``fold``, scaled on its training rows."""
    tr, va = data.folds[fold]
    _, (X_tr, X_va) = scale_split(kind, data.X_train[tr], data.X_train[va])
    return X_tr, data.y_train[tr], X_va, data.y_train[va]
