"""The training protocol every model family follows, applied by the sweep's own loop.

After each epoch a family reports its own training record (epoch, training loss, learning rate,
seconds); :class:`EpochProtocol` adds the validation metrics, computed for every family by the
one function :func:`probability_scores` from predicted probabilities (``val_loss`` is
``sklearn.metrics.log_loss``; a family's own training loss keeps the name ``train_loss``),
applies the experiment's stopping rule, and hands the record on (to the pruner, say).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nnfs_lab.nn import logs

if TYPE_CHECKING:  # config imports the families, which import this module
    from nnfs_lab.sweeps.config import ProtocolConfig

__all__ = [
    "TRAIN_LOSS",
    "VAL_ACCURACY",
    "VAL_LOSS",
    "EpochProtocol",
    "StoppingRule",
    "probability_scores",
]

#: A family's own training loss of the epoch (the book's clipped loss for NNFS, ``loss_`` for
#: MLPClassifier): comparable within a family only.
TRAIN_LOSS = "train_loss"
#: ``sklearn.metrics.log_loss`` on the validation data, the same definition for every family.
VAL_LOSS = logs.VAL_LOSS
#: Accuracy on the validation data.
VAL_ACCURACY = "val_accuracy"


def probability_scores(est: Any, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Accuracy and log loss of a fitted classifier, from its predicted probabilities.

    The log loss equals ``sklearn.metrics.log_loss(y, proba, labels=est.classes_)``: rows are
    normalized and probabilities clipped to machine epsilon as scikit-learn does. It is computed
    here directly because sklearn's input validation costs more than a small network's epoch,
    and this runs after every epoch of every trial.
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


@dataclass
class StoppingRule:
    """Stop once ``val_loss`` has not improved by ``min_delta`` for ``patience`` epochs."""

    config: ProtocolConfig
    best: float = math.inf
    waited: int = 0

    @property
    def active(self) -> bool:
        """Whether the rule reads the validation loss (then of every epoch)."""
        return self.config.stopping != "none"

    def should_stop(self, val_loss: float | None) -> bool:
        """Record one epoch's validation loss; whether training should stop now."""
        if not self.active or val_loss is None:
            return False
        if val_loss < self.best - self.config.min_delta:
            self.best, self.waited = val_loss, 0
            return False
        self.waited += 1
        return self.waited >= self.config.patience


@dataclass
class EpochProtocol:
    """The per-epoch step shared by every family: validation metrics, stopping, hand-on.

    Call it as ``protocol(estimator, record) -> stop`` after each epoch. ``then(record)`` runs
    after the metrics are added and may raise (``optuna.TrialPruned``) to end training.
    ``score_epoch(epoch)`` says which epochs are scored on the validation data (default: all;
    every epoch while the stopping rule is active, as it reads each one); :meth:`finish`
    scores the last epoch when training ended on one that was not.
    """

    X_val: np.ndarray | None
    y_val: np.ndarray | None
    rule: StoppingRule
    then: Callable[[dict[str, Any]], None] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    score_epoch: Callable[[int], bool] | None = None

    def __call__(self, est: Any, record: dict[str, Any]) -> bool:
        if (self.score_epoch is None or self.rule.active
                or self.score_epoch(int(record[logs.EPOCH]))):  # fmt: skip
            self._score(est, record)
        self.history.append(record)
        if self.then is not None:
            self.then(record)
        return self.rule.should_stop(record.get(VAL_LOSS))

    def _score(self, est: Any, record: dict[str, Any]) -> None:
        if self.X_val is not None:
            record[VAL_ACCURACY], record[VAL_LOSS] = probability_scores(est, self.X_val, self.y_val)

    def finish(self, est: Any) -> dict[str, Any]:
        """The last epoch's record, scored on the model as it ended if it was not yet."""
        last = self.history[-1]
        if VAL_LOSS not in last:
            self._score(est, last)
        return last
