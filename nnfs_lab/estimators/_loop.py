"""The estimators' epoch loop: train one epoch, record it, apply the stopping rule, call back.

:class:`EpochLoop` runs the epochs of one ``fit`` or ``partial_fit`` call; :class:`StoppingRule`
is scikit-learn's convergence rule (as in ``MLPClassifier``) with best-weight restore.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from nnfs_lab.nn import DivergenceError, logs
from nnfs_lab.nn.checks import all_finite

__all__ = ["EpochLoop", "StoppingRule"]


@dataclass
class StoppingRule:
    """Stop after ``patience`` consecutive epochs without an improvement by more than ``tol``.

    With ``restore_best`` (``early_stopping=True`` with validation data) the rule watches the
    validation score and keeps the best epoch's weights; otherwise it watches the training loss.
    Either way it keeps the estimator's ``best_loss_`` and ``best_validation_score_`` current.
    """

    patience: int
    tol: float
    restore_best: bool
    no_improvement: int = 0
    best_params: list | None = None

    def update(self, est: Any, rec: dict[str, Any]) -> bool:
        """Account for the epoch ``rec``; True once the rule says training has converged."""
        loss, val_score = rec[logs.LOSS], rec[logs.VAL_SCORE]
        if self.restore_best:
            # NaN (a diverging network) never counts as an improvement.
            worse = not val_score >= est.best_validation_score_ + self.tol
            if val_score > est.best_validation_score_:
                est.best_validation_score_ = val_score
                self.best_params = est.model_.get_parameters()
        else:
            if val_score is not None:
                est.best_validation_score_ = max(est.best_validation_score_, val_score)
            worse = loss > est.best_loss_ - self.tol
        self.no_improvement = self.no_improvement + 1 if worse else 0
        if est.best_loss_ is not None:  # None under early stopping, as in MLP
            est.best_loss_ = min(est.best_loss_, loss)
        return self.no_improvement > self.patience

    def message(self) -> str:
        what = "Validation score" if self.restore_best else "Training loss"
        return (
            f"{what} did not improve more than tol={self.tol} for {self.patience} consecutive "
            "epochs. Stopping."
        )

    def restore(self, model: Any) -> None:
        """Put the best epoch's weights back (only when watching the validation score)."""
        if self.restore_best and self.best_params is not None:
            model.set_parameters(self.best_params)


class EpochLoop:
    """The epochs of one ``fit`` (or ``partial_fit``) call of an NNFS estimator.

    Parameters
    ----------
    est : NNFSClassifier or NNFSRegressor
        Holds the engine's ``model_`` and receives the fitted attributes (``n_iter_``,
        ``history_``, curves, best scores).
    X, y : ndarray
        Training data, already validated and cast by ``Model.prepare``.
    sample_weight : ndarray or None
    validation : tuple (X_val, y_val) or None
        Prepared validation data, scored after every epoch.
    batch_size : int
    shuffle : bool
    rule : StoppingRule
    callbacks : list
        Objects with some of ``on_train_begin``, ``on_epoch_end``, ``on_train_end``.
    incremental : bool
        ``partial_fit``: the rule's verdict does not stop and nothing warns.
    """

    def __init__(
        self,
        est: Any,
        *,
        X: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None,
        validation: tuple[np.ndarray, np.ndarray] | None,
        batch_size: int,
        shuffle: bool,
        rule: StoppingRule,
        callbacks: list,
        incremental: bool,
    ) -> None:
        self.est, self.X, self.y, self.sample_weight = est, X, y, sample_weight
        self.validation, self.batch_size, self.shuffle = validation, batch_size, shuffle
        self.rule, self.callbacks, self.incremental = rule, callbacks, incremental
        #: Whether training diverged and early stopping restored the best epoch's weights.
        self.diverged = False

    def run(self, epochs: int) -> None:
        """Train up to ``epochs`` epochs; ``on_train_end`` runs even when a callback raises."""
        self._call("on_train_begin", self.est)
        try:
            stopped = False
            for _ in range(epochs):
                try:
                    rec = self._epoch()
                except DivergenceError as exc:
                    if not self.rule.restore_best or self.rule.best_params is None:
                        raise
                    stopped = self.diverged = self._record_divergence(exc)
                    break
                stopped = self._after_epoch(rec)
                if stopped:
                    break
            self.rule.restore(self.est.model_)
            if not stopped and not self.incremental and epochs > 1:
                warnings.warn(
                    f"{type(self.est).__name__}: max_epochs={epochs} reached and the "
                    "optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=4,  # run <- _fit <- fit <- the user's call
                )
        finally:
            self._call("on_train_end", self.est)

    def _record_divergence(self, exc: DivergenceError) -> bool:
        """MLP's behaviour under early stopping: the diverged epoch is recorded with NaN
        losses and scores, training stops and the best epoch's weights come back."""
        est = self.est
        est.n_iter_ += 1
        rec = dict.fromkeys(logs.EPOCH_KEYS, float("nan"))
        rec[logs.EPOCH] = len(est.history_) + 1
        rec[logs.SECONDS] = 0.0
        est.history_.append(rec)
        est.loss_curve_.append(rec[logs.LOSS])
        est.validation_loss_curve_.append(rec[logs.VAL_LOSS])
        est.validation_scores_.append(rec[logs.VAL_SCORE])
        warnings.warn(
            f"{type(est).__name__}: {exc}. early_stopping restored the weights of the best "
            f"epoch (validation score {est.best_validation_score_:.4g}).",
            ConvergenceWarning,
            stacklevel=5,  # _record_divergence <- run <- _fit <- fit <- the user's call
        )
        return True

    def _call(self, hook: str, *args: Any) -> list:
        return [getattr(cb, hook)(*args) for cb in self.callbacks if hasattr(cb, hook)]

    def _epoch(self) -> dict[str, Any]:
        est, model = self.est, self.est.model_
        t0 = time.perf_counter()
        r = model.train_epoch(
            self.X,
            self.y,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            sample_weight=self.sample_weight,
        )
        _check_parameters(model, len(est.history_) + 1)
        val_loss = val_score = None
        if self.validation is not None:
            val_loss, val_score = est._validate_step(model, self.validation)
        est.n_iter_ += 1
        est.t_ += self.X.shape[0]
        return {
            # Counts every epoch of the model (warm starts included): unique in history_.
            logs.EPOCH: len(est.history_) + 1,
            logs.LOSS: float(r[logs.LOSS]),
            logs.DATA_LOSS: float(r[logs.DATA_LOSS]),
            logs.REGULARIZATION_LOSS: float(r[logs.REGULARIZATION_LOSS]),
            logs.TRAIN_SCORE: float(r[logs.ACCURACY]),
            logs.VAL_LOSS: None if val_loss is None else float(val_loss),
            logs.VAL_SCORE: None if val_score is None else float(val_score),
            logs.LEARNING_RATE: float(r[logs.LEARNING_RATE]),
            logs.SECONDS: time.perf_counter() - t0,
        }

    def _after_epoch(self, rec: dict[str, Any]) -> bool:
        """Record the epoch, apply the rule, call back; True when training should stop."""
        est = self.est
        est.history_.append(rec)
        est.loss_curve_.append(rec[logs.LOSS])
        if self.validation is not None:
            est.validation_loss_curve_.append(rec[logs.VAL_LOSS])
            est.validation_scores_.append(rec[logs.VAL_SCORE])
        stop = self.rule.update(est, rec) and not self.incremental
        if est.verbose:
            print(_progress_line(rec))
            if stop:
                print(self.rule.message())
        # Every callback sees every epoch, even when the rule or an earlier callback stops.
        asks = self._call("on_epoch_end", est, rec[logs.EPOCH], rec)
        return stop or any(bool(a) for a in asks)


def _check_parameters(model: Any, epoch: int) -> None:
    """Raise :class:`DivergenceError` when a weight or bias is NaN or infinite.

    The engine checks the loss before each step; the last step of an epoch can still overflow
    the weights, and they would then be scored on the validation data or kept as the fit.
    """
    for layer in model.trainable_layers:
        if not (all_finite(layer.weights) and all_finite(layer.biases)):
            raise DivergenceError(
                f"training produced non-finite parameter weights in epoch {epoch} (learning "
                f"rate {model.optimizer.current_learning_rate:g}); the input data may contain "
                "large values and need to be preprocessed, or the learning rate is too high"
            )


def _progress_line(rec: dict[str, Any]) -> str:
    line = f"Epoch {rec[logs.EPOCH]}, loss = {rec[logs.LOSS]:.8f}"
    if rec[logs.VAL_LOSS] is not None:
        line += f", val_loss = {rec[logs.VAL_LOSS]:.6f}, val_score = {rec[logs.VAL_SCORE]:.4f}"
    return line
