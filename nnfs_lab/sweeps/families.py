"""Model families: one adapter per family, the only place that knows its estimator.

Every adapter follows the same protocol (:mod:`~nnfs_lab.sweeps.protocol`): it builds its
estimator from flat hyperparameters with the estimator's own stopping rule switched off, so
that the sweep's loop decides when every family stops; :meth:`Family.train` fits one epoch at a
time and calls ``on_epoch(estimator, record) -> stop`` after each; :meth:`Family.fit_epochs` fits
exactly ``max_epochs`` epochs in one plain, timed call. Adding a family (a PyTorch model, say)
means writing one adapter here and registering it in :data:`FAMILIES`.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfs_lab.nn import logs
from nnfs_lab.sweeps.protocol import TRAIN_LOSS

__all__ = ["FAMILIES", "Family", "MLPFamily", "NNFSFamily", "get_family"]

EpochHook = Callable[[Any, dict[str, Any]], bool]

#: Estimator parameters every family leaves to the sweep: the epoch budget, the seed and the
#: stopping rule belong to the shared protocol, not to one family's configuration.
_PROTOCOL_PARAMS = frozenset({"random_state", "warm_start", "verbose", "early_stopping", "tol",
                              "n_iter_no_change", "validation_fraction"})  # fmt: skip


class Family:
    """Interface of a model family adapter (subclass and register in :data:`FAMILIES`).

    Attributes
    ----------
    name : str
        Key in experiment files (``[models.<name>]``) and in study names.
    label : str
        Human-readable estimator name.
    reserved : frozenset of str
        Estimator parameters the sweep sets itself (epoch budget, seed, stopping rule,
        callbacks); an experiment file may neither fix nor search them.
    """

    name: str = ""
    label: str = ""
    reserved: frozenset[str] = _PROTOCOL_PARAMS

    def estimator_class(self) -> type:  # pragma: no cover - interface
        """The estimator class (imported on first use)."""
        raise NotImplementedError

    def param_names(self) -> set[str]:
        """Constructor parameter names of the estimator."""
        return set(self.estimator_class()().get_params(deep=False))

    def build(self, params: dict[str, Any], *, seed: int, max_epochs: int) -> Any:
        """A fresh estimator: ``params``, the epoch budget, the seed, no stopping of its own."""
        raise NotImplementedError  # pragma: no cover - interface

    def train(self, est: Any, X, y, *, on_epoch: EpochHook) -> int:
        """Fit epoch by epoch until ``on_epoch`` says stop or the budget ends; epochs run."""
        raise NotImplementedError  # pragma: no cover - interface

    def fit_epochs(self, est: Any, X, y) -> int:
        """Fit exactly the budget's epochs in one plain call (no per-epoch hook); epochs run."""
        raise NotImplementedError  # pragma: no cover - interface


def _quiet_fit(fit: Callable[[], Any]) -> None:
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # The epoch budget is the sweep's choice, not a problem to warn about on every fit.
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit()


class NNFSFamily(Family):
    """NNFSClassifier: per-epoch records through the estimator's callbacks."""

    name = "nnfs"
    label = "NNFSClassifier"
    reserved = _PROTOCOL_PARAMS | {"max_epochs", "callbacks"}

    def estimator_class(self) -> type:
        from nnfs_lab.estimators import NNFSClassifier

        return NNFSClassifier

    def build(self, params: dict[str, Any], *, seed: int, max_epochs: int) -> Any:
        # n_iter_no_change beyond the budget: the plateau rule can never fire.
        return self.estimator_class()(**params, max_epochs=max_epochs, random_state=seed,
                                      n_iter_no_change=max_epochs + 1)  # fmt: skip

    def train(self, est: Any, X, y, *, on_epoch: EpochHook) -> int:
        from nnfs_lab.callbacks import LambdaCallback

        def hook(model: Any, _epoch: int, rec: dict) -> bool:
            record = {logs.EPOCH: rec[logs.EPOCH], TRAIN_LOSS: rec[logs.LOSS],
                      logs.LEARNING_RATE: rec[logs.LEARNING_RATE],
                      logs.SECONDS: rec[logs.SECONDS]}  # fmt: skip
            return bool(on_epoch(model, record))

        est.set_params(callbacks=[LambdaCallback(on_epoch_end=hook)])
        try:
            _quiet_fit(lambda: est.fit(X, y))
        finally:
            # The fitted model is pickled later; it must not carry the trial inside a callback.
            est.set_params(callbacks=None)
        return est.n_iter_

    def fit_epochs(self, est: Any, X, y) -> int:
        _quiet_fit(lambda: est.fit(X, y))
        return est.n_iter_


class MLPFamily(Family):
    """scikit-learn's MLPClassifier: one ``partial_fit`` per epoch, so it is pruned and stopped
    by the same loop as every other family."""

    name = "mlp"
    label = "sklearn MLPClassifier"
    reserved = _PROTOCOL_PARAMS | {"max_iter"}

    def estimator_class(self) -> type:
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier

    def build(self, params: dict[str, Any], *, seed: int, max_epochs: int) -> Any:
        # n_iter_no_change beyond the budget: `fit` runs exactly max_iter epochs.
        return self.estimator_class()(**params, max_iter=max_epochs, random_state=seed,
                                      n_iter_no_change=max_epochs + 1)  # fmt: skip

    def train(self, est: Any, X, y, *, on_epoch: EpochHook) -> int:
        import sklearn

        classes = np.unique(y)
        for epoch in range(1, est.max_iter + 1):
            t0 = time.perf_counter()
            # The first call checks the parameters and that X is finite; later calls get the
            # same arrays and parameters, so scikit-learn's public switches skip re-checking
            # them (~6% of a small network's epoch; the weights are identical, tested).
            again = epoch > 1
            with sklearn.config_context(assume_finite=again, skip_parameter_validation=again):
                _quiet_fit(lambda: est.partial_fit(X, y, classes=classes))
            seconds = time.perf_counter() - t0
            if not math.isfinite(est.loss_):
                raise FloatingPointError(f"MLPClassifier loss diverged at epoch {epoch}")
            record = {logs.EPOCH: epoch, TRAIN_LOSS: float(est.loss_),
                      logs.LEARNING_RATE: self._learning_rate(est),
                      logs.SECONDS: seconds}  # fmt: skip
            if on_epoch(est, record):
                return epoch
        return est.max_iter

    def fit_epochs(self, est: Any, X, y) -> int:
        _quiet_fit(lambda: est.fit(X, y))
        if not math.isfinite(est.loss_):
            raise FloatingPointError("MLPClassifier loss diverged")
        return est.n_iter_

    @staticmethod
    def _learning_rate(est: Any) -> float:
        # The live rate sits on MLPClassifier's optimizer object (attribute access, no import
        # of a private name); it differs from learning_rate_init under SGD schedules.
        opt = getattr(est, "_optimizer", None)
        return float(getattr(opt, "learning_rate", math.nan))


#: family name -> adapter, in the order families are swept and reported.
FAMILIES: dict[str, Family] = {f.name: f for f in (NNFSFamily(), MLPFamily())}


def get_family(name: str) -> Family:
    """The adapter of family ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown model family {name!r}; known: {list(FAMILIES)}") from None
