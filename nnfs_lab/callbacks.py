"""Per-epoch hooks for :class:`~nnfs_lab.NNFSClassifier` and :class:`~nnfs_lab.NNFSRegressor`.

A callback is any object with some of these methods (all optional):

- ``on_train_begin(estimator)``
- ``on_epoch_end(estimator, epoch, logs) -> bool | None``: return a truthy value to stop training
- ``on_train_end(estimator)``

``epoch`` is 1-based and counts every epoch the model has trained, across ``partial_fit`` calls
and warm starts (it equals ``len(estimator.history_)``; ``estimator.n_iter_`` counts the epochs
of the current ``fit`` only, as in MLPClassifier);
``logs`` holds the keys of :data:`nnfs_lab.nn.logs.EPOCH_KEYS`: ``epoch, loss, data_loss,
regularization_loss, train_score, val_loss, val_score, learning_rate, seconds`` (``val_loss`` and
``val_score`` are ``None`` without validation data). An exception raised by a callback (an Optuna
pruning signal, say) propagates out of ``fit`` after ``on_train_end`` has run; the estimator then
holds the weights of the last completed epoch, with ``n_iter_`` and ``history_`` matching them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nnfs_lab.nn.logs import VAL_LOSS

__all__ = ["Callback", "LambdaCallback", "EarlyStopping", "History"]


class Callback:
    """Base class with no-op hooks; subclass and override what you need."""

    def on_train_begin(self, estimator: Any) -> None:
        pass

    def on_epoch_end(self, estimator: Any, epoch: int, logs: dict[str, float]) -> bool | None:
        return None

    def on_train_end(self, estimator: Any) -> None:
        pass


class LambdaCallback(Callback):
    """Build a callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=print_logs)``."""

    def __init__(
        self,
        on_train_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_end: Callable | None = None,
    ) -> None:
        self._begin, self._epoch, self._end = on_train_begin, on_epoch_end, on_train_end

    def on_train_begin(self, estimator):
        if self._begin:
            self._begin(estimator)

    def on_epoch_end(self, estimator, epoch, logs):
        return self._epoch(estimator, epoch, logs) if self._epoch else None

    def on_train_end(self, estimator):
        if self._end:
            self._end(estimator)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    The estimator's own ``early_stopping=True`` also restores the best weights; this callback
    only stops, and works on any logged quantity (``val_loss``, ``loss``, ``val_score``...).
    Epochs where the value is ``None`` (no validation data) or NaN are skipped.

    Parameters
    ----------
    monitor : str, default='val_loss'
        Key of the epoch ``logs`` to watch (see :mod:`nnfs_lab.nn.logs`).
    patience : int, default=10
        Epochs without improvement before stopping.
    min_delta : float, default=0.0
        The smallest change that counts as an improvement.
    mode : {'auto', 'min', 'max'}, default='auto'
        Whether lower or higher is better; ``'auto'`` means higher for names containing
        ``score``, lower otherwise.

    Attributes
    ----------
    best : float
        Best value seen in the current fit.
    wait : int
        Epochs since it was seen.
    stopped_epoch : int or None
        The epoch at which this callback stopped training.
    """

    def __init__(
        self,
        monitor: str = VAL_LOSS,
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
    ) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.mode = mode if mode != "auto" else ("max" if "score" in monitor else "min")

    def on_train_begin(self, estimator):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, estimator, epoch, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, not in logs {sorted(logs)}")
        value = logs[self.monitor]
        if value is None or math.isnan(value):
            return None
        better = (
            (value < self.best - self.min_delta)
            if self.mode == "min"
            else (value > self.best + self.min_delta)
        )
        if better:
            self.best, self.wait = value, 0
            return None
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return None


class History(Callback):
    """Keeps a copy of every epoch's logs, across fits and estimators.

    The estimator's ``history_`` holds the same records for one estimator; this one survives
    across several (a whole sweep, say).

    Attributes
    ----------
    records : list of dict
        One dict per epoch seen, in order.
    """

    def __init__(self) -> None:
        self.records: list[dict[str, float]] = []

    def on_epoch_end(self, estimator, epoch, logs):
        self.records.append(dict(logs))
        return None
