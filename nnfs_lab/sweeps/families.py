"""Model families: one adapter per family, the only place that knows its estimator.

An adapter builds the estimator from flat hyperparameters, trains it one epoch at a time under the
sweep's protocol (calling ``on_epoch(logs)`` after each, which may stop training by returning
True or raising, e.g. ``optuna.TrialPruned``), and reports the same per-epoch metrics for every
family, computed by :func:`probability_scores` from predicted probabilities. Adding a family (a
PyTorch model, say) means writing one adapter here and registering it in :data:`FAMILIES`.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfs_lab.nn import logs

__all__ = ["FAMILIES", "Family", "MLPFamily", "NNFSFamily", "get_family", "probability_scores"]

EpochHook = Callable[[dict[str, Any]], Any]


def probability_scores(est: Any, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Accuracy and log loss of a fitted classifier, from its predicted probabilities.

    Computed directly rather than through ``sklearn.metrics``: its input validation costs more
    than a small network's epoch, and this runs after every epoch of every trial. The log loss
    normalizes and clips as ``sklearn.metrics.log_loss`` does, so both families score alike.
    """
    proba = np.asarray(est.predict_proba(X), dtype=np.float64)  # (n_samples, n_classes)
    classes = est.classes_
    acc = float(np.mean(classes[np.argmax(proba, axis=1)] == y))
    if not np.all(np.isfinite(proba)):
        return acc, math.nan
    idx = np.searchsorted(classes, y)
    known = (idx < len(classes)) & (classes[np.minimum(idx, len(classes) - 1)] == y)
    eps = np.finfo(np.float64).eps
    p_true = np.where(known, proba[np.arange(len(y)), np.minimum(idx, len(classes) - 1)], 0.0)
    p_true = p_true / proba.sum(axis=1)
    return acc, float(-np.mean(np.log(np.clip(p_true, eps, 1.0))))


class Family:
    """Interface of a model family adapter (subclass and register in :data:`FAMILIES`).

    Attributes
    ----------
    name : str
        Key in experiment files (``[models.<name>]``) and in study names.
    label : str
        Human-readable estimator name.
    reserved : frozenset of str
        Estimator parameters the sweep sets itself (epoch budget, seed, callbacks); an
        experiment file may neither fix nor search them.
    """

    name: str = ""
    label: str = ""
    reserved: frozenset[str] = frozenset()

    def estimator_class(self) -> type:  # pragma: no cover - interface
        """The estimator class (imported on first use)."""
        raise NotImplementedError

    def param_names(self) -> set[str]:
        """Constructor parameter names of the estimator."""
        return set(self.estimator_class()().get_params(deep=False))

    def build(self, params: dict[str, Any], *, seed: int, max_epochs: int) -> Any:
        """A fresh estimator with ``params`` and the sweep's epoch budget and seed."""
        raise NotImplementedError  # pragma: no cover - interface

    def train(self, est, X, y, *, X_val=None, y_val=None, on_epoch: EpochHook | None = None):
        """Fit ``est`` epoch by epoch; return the per-epoch logs (a list of dicts)."""
        raise NotImplementedError  # pragma: no cover - interface

    def seconds_per_epoch(self, params, X, y, *, seed: int, max_epochs: int, history) -> float:
        """Training seconds per epoch, measured the same way for every family."""
        secs = [h[logs.SECONDS] for h in history if logs.SECONDS in h]
        return float(np.mean(secs)) if secs else math.nan


class NNFSFamily(Family):
    """NNFSClassifier: per-epoch logs and pruning through the estimator's callbacks."""

    name = "nnfs"
    label = "NNFSClassifier"
    reserved = frozenset({"max_epochs", "random_state", "callbacks", "warm_start", "verbose"})

    def estimator_class(self) -> type:
        from nnfs_lab.estimators import NNFSClassifier

        return NNFSClassifier

    def build(self, params: dict[str, Any], *, seed: int, max_epochs: int) -> Any:
        return self.estimator_class()(**params, max_epochs=max_epochs, random_state=seed)

    def train(self, est, X, y, *, X_val=None, y_val=None, on_epoch: EpochHook | None = None):
        from sklearn.exceptions import ConvergenceWarning

        from nnfs_lab.callbacks import LambdaCallback

        cb = None
        if on_epoch is not None:
            cb = [LambdaCallback(on_epoch_end=lambda _est, _epoch, rec: on_epoch(dict(rec)))]
        est.set_params(callbacks=cb)
        try:
            val = (X_val, y_val) if X_val is not None else None
            with warnings.catch_warnings():
                # The epoch budget is the sweep's choice, not a problem to warn about per trial.
                warnings.simplefilter("ignore", ConvergenceWarning)
                est.fit(X, y, validation_data=val)
        finally:
            # The fitted model is pickled later; it must not carry the trial inside a callback.
            est.set_params(callbacks=None)
        return [dict(h) for h in est.history_]


class MLPFamily(Family):
    """scikit-learn's MLPClassifier, one ``partial_fit`` per epoch so it can be pruned too."""

    name = "mlp"
    label = "sklearn MLPClassifier"
    reserved = frozenset({"max_iter", "random_state", "warm_start", "verbose", "early_stopping"})

    def estimator_class(self) -> type:
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier

    def build(self, params: dict[str, Any], *, seed: int, max_epochs: int) -> Any:
        return self.estimator_class()(**params, max_iter=max_epochs, random_state=seed)

    def train(self, est, X, y, *, X_val=None, y_val=None, on_epoch: EpochHook | None = None):
        classes = np.unique(y)
        # Train accuracy on a fixed subsample: NNFS gets it for free from its batches, here it
        # costs a forward pass, which must not dominate the per-epoch timing on big data.
        sub = np.random.default_rng(0).permutation(len(y))[:2000]
        history: list[dict] = []
        for epoch in range(1, est.max_iter + 1):
            seconds = self._one_epoch(est, X, y, classes, epoch)
            record = {
                logs.EPOCH: epoch,
                logs.LOSS: float(est.loss_),
                logs.TRAIN_SCORE: probability_scores(est, X[sub], y[sub])[0],
                logs.LEARNING_RATE: self._learning_rate(est),
                logs.SECONDS: seconds,
            }
            if X_val is not None:
                val = probability_scores(est, X_val, y_val)
                record[logs.VAL_SCORE], record[logs.VAL_LOSS] = val
            history.append(record)
            if on_epoch is not None and on_epoch(dict(record)):
                break
        return history

    @staticmethod
    def _one_epoch(est, X, y, classes, epoch: int) -> float:
        from sklearn.exceptions import ConvergenceWarning

        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.partial_fit(X, y, classes=classes)
        seconds = time.perf_counter() - t0
        if not math.isfinite(est.loss_):
            raise FloatingPointError(f"MLPClassifier loss diverged at epoch {epoch}")
        return seconds

    @staticmethod
    def _learning_rate(est) -> float:
        # The live rate sits on MLPClassifier's optimizer object (attribute access, no import
        # of a private name); it differs from learning_rate_init under SGD schedules.
        opt = getattr(est, "_optimizer", None)
        return float(getattr(opt, "learning_rate", math.nan))

    def seconds_per_epoch(self, params, X, y, *, seed: int, max_epochs: int, history) -> float:
        """Seconds per epoch of a plain ``fit`` (all epochs forced).

        The per-epoch ``partial_fit`` loop pays scikit-learn's input validation on every call,
        which on small data costs more than the epoch itself; timing that would be unfair.
        """
        from sklearn.exceptions import ConvergenceWarning

        est = self.build(params, seed=seed, max_epochs=max_epochs)
        # Never "converged": run exactly max_epochs (this run is for timing only).
        est.set_params(n_iter_no_change=max_epochs + 1)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, y)
        return (time.perf_counter() - t0) / max(1, est.n_iter_)


#: family name -> adapter, in the order families are swept and reported.
FAMILIES: dict[str, Family] = {f.name: f for f in (NNFSFamily(), MLPFamily())}


def get_family(name: str) -> Family:
    """The adapter of family ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown model family {name!r}; known: {list(FAMILIES)}") from None
